"""The demo: PostgreSQL (embedded, started by scripts/run.sh), eager Celery, console email, no
email verification.

Without ``DATABASE_URL`` the demo settings point at the embedded server's socket in ``.pgdata/``
(where config/embedded_postgres.py keeps it), so ``manage.py`` commands work beside a running
demo, and commands that need no database (``makemigrations --check``) work without one."""

import os
from pathlib import Path

# The embedded server's data folder and database (config/embedded_postgres.py DEFAULT_DATA_DIR
# and DEFAULT_DATABASE; not imported here, which would load the server's package at every start).
EMBEDDED_DATA_DIR = Path(__file__).resolve().parent.parent.parent / ".pgdata"
os.environ.setdefault("DATABASE_URL", f"postgresql://postgres:@/quorum?host={EMBEDDED_DATA_DIR}")

from config.env import env_bool  # noqa: E402
from config.settings.base import *  # noqa: E402, F403

DEBUG = env_bool("DEBUG", True)
ACCOUNT_EMAIL_VERIFICATION = "none"
# One demo user at a time: aggregate after every answer (inline, Celery is eager here) so the
# Results page is always current, instead of once per minute as in production.
AGGREGATION_DEBOUNCE_SECONDS = 0
