#!/usr/bin/env bash
# Create .venv-bench with the runtime pins plus crowd-kit 1.4.2 (benchmarks only).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv-bench
.venv-bench/bin/pip install --quiet --upgrade pip
.venv-bench/bin/pip install --quiet -r requirements-bench.txt
.venv-bench/bin/pip check
echo "bench environment ready: .venv-bench/bin/python bench/aggregation_accuracy.py"
