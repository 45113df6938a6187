#!/usr/bin/env bash
# Run the whole test suite on PostgreSQL and Redis: installs what is missing (virtualenv,
# packages, Debian's chromium and redis-server), starts the services if they are down, then runs
# ruff, the architecture contracts, bandit, the docs build, the migrations check and pytest (with
# the tenancy sweep and the schemathesis run). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  echo "== installing Debian packages: $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null \
    || { as_root apt-get update -q >/dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; }
}

command -v chromium >/dev/null 2>&1 || apt_install chromium
command -v redis-server >/dev/null 2>&1 || apt_install redis-server
command -v pg_ctlcluster >/dev/null 2>&1 || apt_install postgresql

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "== starting PostgreSQL"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
# The settings' default database must exist for `makemigrations --check` (pytest makes its own).
psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'quorum'" | grep -q 1 \
  || createdb -h 127.0.0.1 -U postgres quorum
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "== starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.2; done
fi

ensure_venv requirements.txt requirements-dev.txt
export DJANGO_SETTINGS_MODULE=config.settings.test

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== architecture (import-linter contracts in .importlinter)"
.venv/bin/lint-imports --no-cache
echo "== static analysis (bandit: no medium or high finding in the product code without a reviewed nosec)"
# Quiet unless it fails: bandit warns on stderr for every line of a multi-line string it skipped.
bandit_log=$(mktemp)
.venv/bin/bandit -c pyproject.toml -r accounts payments marketplace workers config -q -ll \
  >"$bandit_log" 2>&1 || { cat "$bandit_log"; rm -f "$bandit_log"; exit 1; }
rm -f "$bandit_log"
echo "== docs"
# Not --quiet: mkdocs counts only the warnings it logs, so --quiet would let --strict pass them.
docs_log=$(mktemp)
NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict --site-dir site >"$docs_log" 2>&1 \
  || { cat "$docs_log"; rm -f "$docs_log"; exit 1; }
rm -f "$docs_log"
echo "== migrations are up to date"
.venv/bin/python manage.py makemigrations --check --dry-run
echo "== pytest"
.venv/bin/python -m pytest "$@"
