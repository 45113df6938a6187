"""When quality checks and aggregation run after submissions.

After every submission (``submission_recorded``, called on commit by ``assignment_submit``):
the quality rules for that worker, then a debounced aggregation of the project — at most one
run scheduled per project per ``AGGREGATION_DEBOUNCE_SECONDS`` (a cache key set with ``add``),
running that many seconds after the first answer of the window, so it sees the whole burst.
The jobs themselves are in marketplace/tasks.py, queued by name (config.celery.task_send).
"""

import logging

from django.conf import settings
from django.core.cache import cache

from config.celery import task_send

logger = logging.getLogger(__name__)

# How long a queued quality check holds off further ones for the same worker and project; only
# matters when the job is lost (a later answer then queues a new one).
QUALITY_PENDING_SECONDS = 120


def _debounce_seconds() -> int:
    return int(getattr(settings, "AGGREGATION_DEBOUNCE_SECONDS", 60))


def _pending_key(project_id: int, worker_id: int) -> str:
    return f"quality:pending:{project_id}:{worker_id}"


def submission_recorded(*, project_id: int, worker_id: int) -> None:
    """Called on commit of a submit. Queues one quality check of this worker in this project
    unless one is already queued and not yet started: that one will see this answer too (it
    clears the mark before reading). So a worker answering fast costs one Redis ``SET NX`` per
    answer rather than one queued job each, and the rules still see every answer.

    Never raises into the request: the answer is saved, and a lost check is redone by the
    worker's next submission once the mark expires."""
    key = _pending_key(project_id, worker_id)
    try:
        if not cache.add(key, 1, timeout=QUALITY_PENDING_SECONDS):
            return
        task_send("marketplace.quality_after_submission", project_id, worker_id)
    except Exception:  # a broker outage must not turn a saved answer into an error page
        logger.exception("Could not queue the quality check of worker %s", worker_id)
        cache.delete(key)


def quality_pending_clear(*, project_id: int, worker_id: int) -> None:
    """The queued check is starting: an answer committed from now on queues a new one."""
    cache.delete(_pending_key(project_id, worker_id))


def aggregation_schedule(project_id: int) -> bool:
    """Schedule one aggregation of the project unless one is already scheduled in the window.
    Returns whether this call scheduled it."""
    delay = _debounce_seconds()
    if not cache.add(f"aggregation:scheduled:{project_id}", 1, timeout=delay):
        return False
    task_send("marketplace.aggregate_project", project_id, countdown=delay)
    return True
