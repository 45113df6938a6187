#!/usr/bin/env bash
# Run Quorum on embedded defaults (SQLite, eager Celery, console email) with a demo data set.
# Safe to run again: migrations and the demo seed are idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv requirements.txt
export DJANGO_SETTINGS_MODULE=config.settings.local
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py seed_demo
echo "== serving on http://127.0.0.1:${PORT:-8000} (Ctrl-C to stop)"
exec .venv/bin/python manage.py runserver "127.0.0.1:${PORT:-8000}"
