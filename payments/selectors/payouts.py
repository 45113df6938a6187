"""Reads of payouts: a worker's own and the staff queue."""

from django.db.models import QuerySet

from accounts.models import User
from payments.models import (
    Payout,
    PayoutStatus,
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
