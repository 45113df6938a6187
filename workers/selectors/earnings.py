"""A worker's earnings: answers awaiting review, the payable balance, payouts and rejections."""

from dataclasses import dataclass

from django.db.models import QuerySet, Sum

from accounts.models import User
from marketplace.models import Assignment, AssignmentStatus, ReviewStatus
from payments import ledger
from payments.models import (
    Payout,
    PayoutStatus,
)


@dataclass(frozen=True)
class WorkerEarnings:
    pending_cents: int  # submitted answers awaiting review (still in escrow)
    approved_cents: int  # the payable balance: approved and not yet paid out
    paid_cents: int  # payouts marked paid (requested ones are neither approved nor paid)
    rejected_count: int


def worker_earnings(*, worker: User) -> WorkerEarnings:
    """Figures for the worker dashboard and ``GET /api/v1/earnings/``."""
    pending = Assignment.objects.filter(
        worker=worker, status=AssignmentStatus.SUBMITTED, review_status=ReviewStatus.PENDING
    ).aggregate(total=Sum("project__reward_cents"))["total"]
    rejected = Assignment.objects.filter(worker=worker, review_status=ReviewStatus.REJECTED)
    paid = Payout.objects.filter(worker=worker, status=PayoutStatus.PAID).aggregate(
        total=Sum("amount_cents")
    )["total"]
    return WorkerEarnings(
        pending_cents=pending or 0,
        approved_cents=ledger.worker_payable_account(worker).balance_cents,
        paid_cents=paid or 0,
        rejected_count=rejected.count(),
    )


def rejected_answers_for(*, worker: User) -> QuerySet[Assignment]:
    """The worker's rejected answers with the requester's reason, newest first."""
    return (
        Assignment.objects.filter(worker=worker, review_status=ReviewStatus.REJECTED)
        .select_related("project")
        .order_by("-reviewed_at")
    )
