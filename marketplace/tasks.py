"""Background jobs of the marketplace."""

from celery import shared_task
from django.db import OperationalError

from marketplace.services.assignments import assignments_expire
from marketplace.services.reviews import assignments_auto_approve
from marketplace.tasks_aggregation import aggregate_project, quality_after_submission  # noqa: F401


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
