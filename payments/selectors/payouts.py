"""Reads of payouts: a worker's own, the staff queue, and the stored Stripe events staff check."""

from django.db.models import QuerySet

from accounts.models import User
from payments.models import (
    Payout,
    PayoutStatus,
    WebhookEvent,
)


def payouts_for_worker(*, worker: User) -> QuerySet[Payout]:
    return Payout.objects.filter(worker=worker)


def payout_queue(*, status: str | None = None) -> QuerySet[Payout]:
    """Staff's queue, oldest first; by default everything not yet paid or cancelled."""
    payouts = Payout.objects.select_related("worker").order_by("requested_at", "id")
    if status:
        return payouts.filter(status=status)
    return payouts.filter(
        status__in=[PayoutStatus.REQUESTED, PayoutStatus.APPROVED, PayoutStatus.HELD]
    )


WEBHOOK_EVENT_STATUSES = ("failed", "pending", "processed")


def webhook_events_by_status(*, status: str = "failed") -> QuerySet[WebhookEvent]:
    """Stored Stripe events for staff: ``failed`` (for good, newest failure first), ``pending``
    (soonest next attempt first) or ``processed`` (newest first)."""
    events = WebhookEvent.objects.defer("payload")
    if status == "processed":
        return events.filter(processed_at__isnull=False).order_by("-processed_at", "-pk")
    if status == "pending":
        return events.filter(processed_at__isnull=True, failed_at__isnull=True).order_by(
            "next_attempt_at", "pk"
        )
    return events.filter(failed_at__isnull=False).order_by("-failed_at", "-pk")
