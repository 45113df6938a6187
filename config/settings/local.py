"""The embedded demo: SQLite, eager Celery, console email, no email verification."""

from config.env import env_bool
from config.settings.base import *  # noqa: F403

DEBUG = env_bool("DEBUG", True)
ACCOUNT_EMAIL_VERIFICATION = "none"
