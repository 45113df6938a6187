"""Background jobs of the marketplace."""

from celery import shared_task
from django.db import OperationalError

from marketplace.services.assignments import assignments_expire


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
