"""Background jobs of the marketplace: Celery glue only. Each task takes ids, calls a service and
is safe to run twice; services queue them by name (config.celery.task_send)."""

import logging

from celery import shared_task
from django.db import OperationalError

from marketplace.services.aggregation import (
    AggregationBusy,
    project_aggregate,
    projects_needing_aggregation,
)
from marketplace.services.aggregation_schedule import aggregation_schedule, quality_pending_clear
from marketplace.services.assignments import assignments_expire
from marketplace.services.imports import import_run
from marketplace.services.quality import quality_rules_run
from marketplace.services.reviews import assignments_auto_approve

logger = logging.getLogger(__name__)


@shared_task(
    name="marketplace.expire_assignments",
    bind=True,
    max_retries=3,
    # A later beat tick does the same work, so an overlapping or stale run is simply dropped.
    expires=55,
)
def expire_assignments(self) -> int:
    """Release the slots of assignments whose lease ran out. Run by celery beat every minute
    (registered by migration 0003). Takes no ids: it reloads the live assignments past their
    lease and calls the service, which releases each slot exactly once however often it runs."""
    try:
        return assignments_expire()
    except OperationalError as error:  # e.g. a deadlock victim or a lost connection
        raise self.retry(exc=error, countdown=5 * 2**self.request.retries) from error


@shared_task(
    name="marketplace.auto_approve_assignments",
    bind=True,
    max_retries=3,
    acks_late=True,
    reject_on_worker_lost=True,
    expires=4 * 60,
)
def auto_approve_assignments(self) -> int:
    """Approve answers whose project's auto-approval delay has passed. Run by celery beat every
    5 minutes (migration 0005). Answers are paid in batches of one project's answers, one
    transaction per batch (docs/ledger.md, Throughput); each answer's payment has its own
    idempotency key, so a crash or an overlapping run pays nothing twice."""
    try:
        return assignments_auto_approve()
    except OperationalError as error:
        raise self.retry(exc=error, countdown=5 * 2**self.request.retries) from error


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
    quality_pending_clear(project_id=project_id, worker_id=worker_id)
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


@shared_task(
    name="marketplace.run_import",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=3,
    default_retry_delay=30,
)
def run_import(batch_id: int) -> None:
    """Safe to run twice: ``import_run`` only touches a batch that is still pending, and the
    import itself is one transaction (a killed worker leaves no tasks behind)."""
    import_run(batch_id=batch_id)
