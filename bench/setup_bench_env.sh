#!/usr/bin/env bash
# Create the bench environment: the runtime pins plus crowd-kit 1.4.2 (benchmarks only).
#   bash bench/setup_bench_env.sh [FOLDER]   (default .venv-bench)
# Then run the aggregation benches with that environment's interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:-.venv-bench}"
python3 -m venv "$venv"
python="$venv/bin/python"
"$python" -m pip install --quiet --upgrade pip
"$python" -m pip install --quiet -r requirements-bench.txt
"$python" -m pip check
echo "bench environment ready: $python bench/aggregation_accuracy.py"
