"""Reads for the payments pages and API. Tenancy: a requester's queries start from their
organisation; another organisation's projects and assignments are simply not found (404)."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet, Sum
from django.shortcuts import get_object_or_404

from accounts.models import RequesterAccount, User
from marketplace.models import Assignment, AssignmentStatus, Project, ReviewStatus
from payments import ledger
from payments.models import (
    AccountKind,
    CardPayment,
    LedgerEntry,
    Payout,
    PayoutStatus,
    ProjectEscrow,
    WebhookEvent,
)


@dataclass(frozen=True)
class ProjectEscrowLine:
    project_id: int
    title: str
    status: str
    balance_cents: int
    paid_assignments: int


@dataclass(frozen=True)
class FundsSummary:
    available_cents: int
    escrow_cents: int
    escrows: list[ProjectEscrowLine]


def funds_summary(*, requester_account: RequesterAccount) -> FundsSummary:
    available = ledger.requester_available_account(requester_account).balance_cents
    escrows = [
        ProjectEscrowLine(
            project_id=escrow.project_id,
            title=escrow.project.title,
            status=escrow.project.status,
            balance_cents=escrow.account.balance_cents,
            paid_assignments=escrow.paid_assignments,
        )
        for escrow in ProjectEscrow.objects.filter(project__account=requester_account)
        .select_related("project", "account")
        .order_by("-project__created_at")
    ]
    return FundsSummary(
        available_cents=available,
        escrow_cents=sum(line.balance_cents for line in escrows),
        escrows=escrows,
    )


def ledger_entries_for_requester(*, requester_account: RequesterAccount) -> QuerySet[LedgerEntry]:
    """Entries on the organisation's available funds and its projects' escrow, newest first."""
    return (
        LedgerEntry.objects.filter(
            Q(
                account__kind=AccountKind.REQUESTER_AVAILABLE,
                account__requester_account=requester_account,
            )
            | Q(
                account__kind=AccountKind.PROJECT_ESCROW,
                account__project__account=requester_account,
            )
        )
        .select_related("transaction", "account", "transaction__project")
        .order_by("-id")
    )


def card_payments_for(*, requester_account: RequesterAccount) -> QuerySet[CardPayment]:
    return CardPayment.objects.filter(requester_account=requester_account)


def review_queue(*, project: Project) -> QuerySet[Assignment]:
    """A project's submitted answers awaiting review, oldest first."""
    return (
        Assignment.objects.filter(
            project=project,
            status=AssignmentStatus.SUBMITTED,
            review_status=ReviewStatus.PENDING,
        )
        .select_related("task", "worker")
        .order_by("submitted_at", "id")
    )


def assignment_get_for_requester(*, user: User, assignment_id: int) -> Assignment:
    """A submitted assignment of the requester's organisation, or 404."""
    return get_object_or_404(
        Assignment.objects.select_related("project").filter(
            project__account_id=user.requester_account_id
        ),
        pk=assignment_id,
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
