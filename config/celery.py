"""The Celery app. Settings come from Django settings with the CELERY_ prefix."""

import os

from celery import Celery

# No default settings module: a server or worker started without one would run the demo's
# settings (DEBUG, the insecure dev key) in production. ./scripts/run.sh sets the demo's.
if not os.environ.get("DJANGO_SETTINGS_MODULE"):
    raise RuntimeError(
        "Set DJANGO_SETTINGS_MODULE (config.settings.production on a server; "
        "./scripts/run.sh sets the demo's)."
    )

app = Celery("quorum")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def task_send(name: str, *args, countdown: int | None = None) -> None:
    """Queue the task registered under ``name``. Services enqueue through this rather than by
    importing their app's tasks module: tasks import services, so the other direction would
    close an import cycle (the import-linter contracts refuse it). It goes through the Task
    object, not ``send_task``, so eager mode (the demo, unit tests) still runs it inline."""
    # Each app's AppConfig.ready() imports its tasks module, so the name is registered in
    # every process (autodiscovery alone only runs when a worker starts).
    app.tasks[name].apply_async(args, countdown=countdown)
