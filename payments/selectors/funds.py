"""Reads for the payments pages and API. Tenancy: a requester's queries start from their
organisation; another organisation's projects and assignments are simply not found (404)."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from accounts.models import RequesterAccount
from payments import ledger
from payments.models import (
    AccountKind,
    CardPayment,
    LedgerEntry,
    ProjectEscrow,
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
