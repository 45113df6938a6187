"""The demo: PostgreSQL (embedded, started by scripts/run.sh), eager Celery, console email, no
email verification."""

from config.env import env_bool
from config.settings.base import *  # noqa: F403

DEBUG = env_bool("DEBUG", True)
ACCOUNT_EMAIL_VERIFICATION = "none"
# One demo user at a time: aggregate after every answer (inline, Celery is eager here) so the
# Results page is always current, instead of once per minute as in production.
AGGREGATION_DEBOUNCE_SECONDS = 0
