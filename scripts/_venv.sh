# Sourced by scripts/run.sh and scripts/test.sh: make .venv hold exactly the pinned packages of
# the given requirement files. Installs only when the files changed since the last install.
ensure_venv() {
  local python="${PYTHON:-python3.11}"
  command -v "$python" >/dev/null 2>&1 || python=python3
  if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv with $python"
    "$python" -m venv .venv
  fi
  local stamp=.venv/.requirements-stamp
  local want
  want=$(cat requirements*.txt | sha256sum | cut -d' ' -f1)-"$*"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "== installing pinned packages ($*)"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    local args=()
    for file in "$@"; do args+=(-r "$file"); done
    # One pip call for all files: separate calls let later installs move earlier pins.
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "${args[@]}"
    echo "$want" > "$stamp"
  fi
}
