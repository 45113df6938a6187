"""Background jobs of aggregation and worker quality (imported by marketplace/tasks.py so
Celery's autodiscovery registers them).

After every submission (``submission_recorded``, enqueued on commit by ``assignment_submit``):
the quality rules for that worker, then a debounced aggregation of the project — at most one
run scheduled per project per ``AGGREGATION_DEBOUNCE_SECONDS`` (a cache key set with ``add``),
running that many seconds after the first answer of the window, so it sees the whole burst.
"""

import logging

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError

from marketplace.services.aggregation import (
    AggregationBusy,
    project_aggregate,
    projects_needing_aggregation,
)
from marketplace.services.quality import quality_rules_run

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
        quality_after_submission.delay(project_id, worker_id)
    except Exception:  # a broker outage must not turn a saved answer into an error page
        logger.exception("Could not queue the quality check of worker %s", worker_id)
        cache.delete(key)


def aggregation_schedule(project_id: int) -> bool:
    """Schedule one aggregation of the project unless one is already scheduled in the window.
    Returns whether this call scheduled it."""
    delay = _debounce_seconds()
    if not cache.add(f"aggregation:scheduled:{project_id}", 1, timeout=delay):
        return False
    aggregate_project.apply_async((project_id,), countdown=delay)
    return True


@shared_task(
    name="marketplace.quality_after_submission",
    bind=True,
    max_retries=3,
    acks_late=True,
    reject_on_worker_lost=True,
)
def quality_after_submission(self, project_id: int, worker_id: int) -> int:
    """Run the project's quality rules for the worker, then schedule aggregation. Safe twice:
    rules record each action once. Returns the number of actions taken."""
    # First, so an answer committed from now on queues a new check instead of relying on this
    # one, which may have read its data already.
    cache.delete(_pending_key(project_id, worker_id))
    try:
        outcome = quality_rules_run(project_id=project_id, worker_id=worker_id)
    except OperationalError as error:
        raise self.retry(exc=error, countdown=5 * 2**self.request.retries) from error
    aggregation_schedule(project_id)
    return len(outcome.actions)


@shared_task(
    name="marketplace.aggregate_project",
    bind=True,
    max_retries=5,
    acks_late=True,
    reject_on_worker_lost=True,
)
def aggregate_project(self, project_id: int, method: str | None = None) -> dict:
    """Aggregate a project (after submissions, debounced, or on demand). Rewrites only what
    changed, so a duplicate run is harmless; a run that meets another in progress retries."""
    try:
        run = project_aggregate(project_id=project_id, method=method)
    except (AggregationBusy, OperationalError) as error:
        raise self.retry(exc=error, countdown=10 * 2**self.request.retries) from error
    logger.info("Aggregated project %s: %s", project_id, run)
    return {
        "tasks_labelled": run.tasks_labelled,
        "tasks_closed": run.tasks_closed,
        "seconds": run.seconds,
    }


# Upper bound of projects one sweep schedules; the rest (least recently aggregated first) wait
# for the next sweep, so a backlog never floods the queue.
SWEEP_LIMIT = 200


@shared_task(name="marketplace.aggregate_changed_projects")
def aggregate_changed_projects() -> int:
    """Periodic (celery beat, every 10 minutes; migration 0008): schedule an aggregation of
    every active project whose counted answers changed since its last run. A safety net for
    runs lost between a submit and its debounced job, and the path by which rejections reach
    the final labels. Safe to run twice: ``aggregation_schedule`` schedules at most one run per
    project per window. Returns how many it scheduled."""
    ids = list(projects_needing_aggregation()[:SWEEP_LIMIT])
    return sum(aggregation_schedule(project_id) for project_id in ids)
