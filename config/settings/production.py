"""Production: every secret from the environment, HTTPS only, Redis cache and broker.

`manage.py check --deploy` with these settings and real secrets prints no warnings.
"""

from config.env import env_bool, env_int, env_str
from config.settings.base import *  # noqa: F403
from config.settings.base import REDIS_URL

DEBUG = False
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
SECRET_KEY = env_str("SECRET_KEY")  # no default: refuse to start without one
if not REDIS_URL:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("REDIS_URL is required in production (cache and rate limits).")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
