#!/usr/bin/env bash
# Run Quorum with a demo data set: PostgreSQL, eager Celery, console email. With no DATABASE_URL
# set it starts an embedded PostgreSQL (data in .pgdata/, see config/embedded_postgres.py) and
# stops it on Ctrl-C. Safe to run again: the data is kept, migrations and the demo seed are
# idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
ensure_venv requirements.txt
export DJANGO_SETTINGS_MODULE=config.settings.local
if [ -z "${DATABASE_URL:-}" ]; then
  # This script again, as a child of the wrapper that owns the server and sets DATABASE_URL.
  exec .venv/bin/python -m config.embedded_postgres -- scripts/run.sh "$@"
fi
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py seed_demo
echo "== serving on http://127.0.0.1:${PORT:-8000} (Ctrl-C to stop)"
exec .venv/bin/python manage.py runserver "127.0.0.1:${PORT:-8000}"
