import os

from django.core.asgi import get_asgi_application

# No default settings module: a server or worker started without one would run the demo's
# settings (DEBUG, the insecure dev key) in production. ./scripts/run.sh sets the demo's.
if not os.environ.get("DJANGO_SETTINGS_MODULE"):
    raise RuntimeError(
        "Set DJANGO_SETTINGS_MODULE (config.settings.production on a server; "
        "./scripts/run.sh sets the demo's)."
    )
application = get_asgi_application()
