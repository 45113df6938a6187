"""Settings shared by every environment. Values that vary come from ``config.env``.

Sections follow Django's settings reference: https://docs.djangoproject.com/en/5.2/ref/settings/
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

# --- Core -------------------------------------------------------------------------------------
SECRET_KEY = env_str("SECRET_KEY", "insecure-dev-key-change-me-" + "x" * 40)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_ID = 1
SITE_NAME = "Quorum"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "django_celery_beat",
    "accounts",
    "workers",
    "marketplace",
    "payments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# DATABASE_URL, e.g. postgres://user@127.0.0.1:5432/quorum. PostgreSQL only: allocation,
# aggregation and the ledger's triggers are written for it. The demo (scripts/run.sh) sets it to
# an embedded server (config/embedded_postgres.py).
DATABASE_URL = env_str("DATABASE_URL", "")
if not DATABASE_URL.startswith(("postgres://", "postgresql://")):
    raise ImproperlyConfigured(
        f"DATABASE_URL={DATABASE_URL!r}: Quorum needs PostgreSQL. Set DATABASE_URL to "
        "postgres://user@host:5432/quorum, or run ./scripts/run.sh, which starts an embedded "
        "PostgreSQL for the demo."
    )
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        # Off by default: the check is a ``SELECT 1`` round trip at the start of every request
        # (a third of a claim's database time). Django still closes a connection that failed
        # during a request, so a server restart costs one failed request per stale connection.
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", False),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ------------------------------------------------------------------------------------
# allauth's login rate limits live in the cache, so several processes must share one (Redis).
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth and accounts ------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "landing"

# django-allauth 65: https://docs.allauth.org/en/latest/account/configuration.html
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
# Mandatory unless a settings module says otherwise (the demo and tests turn it off).
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
# The client address allauth's rate limits count per: as the API's (TRUSTED_PROXY_COUNT).
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# API tokens (accounts/tokens.py): each login issues a new one, valid this long.
API_TOKEN_TTL_SECONDS = env_int("API_TOKEN_TTL_SECONDS", 30 * 24 * 3600)
ACCOUNT_RATE_LIMITS = {
    # Failed logins per IP and per account; allauth returns HTTP 429 past these.
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}

# --- Email ------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Quorum <noreply@quorum.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = env_str("MEDIA_ROOT", str(BASE_DIR / "media"))
MEDIA_URL = "/media/"
# Hosts (https) whose images requester Markdown may show; other remote images are dropped.
MARKDOWN_IMAGE_HOSTS = set(env_list("MARKDOWN_IMAGE_HOSTS", []))

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "accounts.authentication.CachedTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    # Every endpoint: config/throttling.py (per user, per address; an empty rate turns it off).
    "DEFAULT_THROTTLE_CLASSES": ["config.throttling.RequestRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "60/min"),
        "user": env_str("API_THROTTLE_USER", "6000/min"),
        "address": env_str("API_THROTTLE_ADDRESS", "60000/min"),
    },
    # Proxies in front of the app whose X-Forwarded-For entries are trusted; 0: the client
    # address is REMOTE_ADDR and the header is ignored (a client could write anything there).
    "NUM_PROXIES": env_int("TRUSTED_PROXY_COUNT", 0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Quorum API",
    "DESCRIPTION": "Crowdsourcing task marketplace: projects, tasks, assignments, payments.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI assets ship in a pinned package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status" field; name each choice set after its model.
    "ENUM_NAME_OVERRIDES": {
        "ProjectStatusEnum": "marketplace.models.project.ProjectStatus",
        "TaskStatusEnum": "marketplace.models.project.TaskStatus",
        "ImportStatusEnum": "marketplace.models.import_batch.ImportStatus",
        "AssignmentStatusEnum": "marketplace.models.assignment.AssignmentStatus",
        "ReviewStatusEnum": "marketplace.models.assignment.ReviewStatus",
        "PayoutMethodEnum": "payments.models.payouts.PayoutMethod",
        "QualificationKindEnum": "workers.models.qualifications.QualificationKind",
        "RequirementKindEnum": "workers.models.requirements.RequirementKind",
    },
}

# --- Celery -----------------------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
# No broker configured: tasks run eagerly in the calling process (the demo needs no Redis).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL) or "memory://"
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL == "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged only after it ran, and re-queued if the worker process dies mid-task.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360)
# Longest countdown/ETA/retry backoff any task may use. Redis re-delivers an unacknowledged
# message after the visibility timeout, so it must stay above every countdown or tasks run twice.
CELERY_MAX_COUNTDOWN_SECONDS = 6 * 3600
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_MAX_COUNTDOWN_SECONDS + 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = "quorum"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

# --- Marketplace ------------------------------------------------------------------------------
# The platform's fee on top of every reward, in basis points (2000 = 20 %).
PLATFORM_FEE_BASIS_POINTS = env_int("PLATFORM_FEE_BASIS_POINTS", 2000)
# Requester messages to workers (they send email): per requester an hour, per worker a day.
WORKER_MESSAGES_PER_HOUR = env_int("WORKER_MESSAGES_PER_HOUR", 30)
WORKER_MESSAGES_PER_WORKER_PER_DAY = env_int("WORKER_MESSAGES_PER_WORKER_PER_DAY", 3)
# Bonuses of the last 24 hours, per organisation and per worker (across organisations).
BONUS_DAILY_CAP_PER_REQUESTER_CENTS = env_int("BONUS_DAILY_CAP_PER_REQUESTER_CENTS", 500_000)
BONUS_DAILY_CAP_PER_WORKER_CENTS = env_int("BONUS_DAILY_CAP_PER_WORKER_CENTS", 50_000)
# Fees of answers are credited to ``platform_fees:<project id mod this>`` so that approvals in
# different projects do not all wait for one account row (docs/ledger.md, Throughput). Changing it
# is safe: every read sums all platform-fee accounts.
PLATFORM_FEE_SHARDS = env_int("PLATFORM_FEE_SHARDS", 16)
# Uploads above this size are refused while streaming, before they reach the database.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 512 * 1024 * 1024)
# Files above this size import in the background (Celery); smaller ones during the request.
IMPORT_BACKGROUND_BYTES = env_int("IMPORT_BACKGROUND_BYTES", 2 * 1024 * 1024)

# --- Stripe -----------------------------------------------------------------------------------
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = env_str("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET", "")
# Empty: the real api.stripe.com. Tests and the demo point it at a loopback fake.
STRIPE_API_BASE = env_str("STRIPE_API_BASE", "")
# Connect (accounts, account links, transfers); empty: same as STRIPE_API_BASE. Tests point it
# at their loopback Connect fake (tests/payments/), since localstripe has no Connect.
STRIPE_CONNECT_API_BASE = env_str("STRIPE_CONNECT_API_BASE", "")
# The signing secret of the webhook endpoint for connected-account events (account.updated).
STRIPE_CONNECT_WEBHOOK_SECRET = env_str("STRIPE_CONNECT_WEBHOOK_SECRET", "")
# How long a Connect call may take before it counts as lost and is retried with the same key.
STRIPE_TIMEOUT_SECONDS = env_int("STRIPE_TIMEOUT_SECONDS", 30)
# Payout transfers retry transient Stripe errors after BASE·2^n seconds (capped), then the
# sweeper (every minute) re-sends payouts left approved for PAYOUT_SWEEP_AFTER_SECONDS.
PAYOUT_RETRY_BACKOFF_SECONDS = env_int("PAYOUT_RETRY_BACKOFF_SECONDS", 30)
PAYOUT_SWEEP_AFTER_SECONDS = env_int("PAYOUT_SWEEP_AFTER_SECONDS", 300)
# Daily automatic payouts of connected workers' whole balance (off: workers ask for payouts).
PAYOUTS_AUTOMATIC = env_bool("PAYOUTS_AUTOMATIC", False)
# Each reconciliation run compares rows created in the last N days (plus every open payout and
# pending refund, whatever its age) with Stripe's objects created in that window.
RECONCILIATION_WINDOW_DAYS = env_int("RECONCILIATION_WINDOW_DAYS", 35)

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
