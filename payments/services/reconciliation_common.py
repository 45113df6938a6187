"""What the reconciliation modules share: a difference, one run's comparison, the window."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from payments.models import (
    LedgerEntry,
    ReconciliationIssue,
)

# Stripe's clock against ours: Stripe objects are listed from this much before the window.
CLOCK_MARGIN = timedelta(hours=1)


@dataclass(frozen=True)
class Difference:
    kind: str
    reference: str
    detail: str
    expected_cents: int | None = None
    provider_cents: int | None = None


@dataclass
class Comparison:
    """What one run found, and every reference it looked at (only those can be resolved)."""

    differences: list[Difference] = field(default_factory=list)
    examined: set[str] = field(default_factory=set)


def reconciliation_window_start(*, now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.RECONCILIATION_WINDOW_DAYS)


def _unix(moment: datetime) -> int:
    return int(moment.timestamp())


def _ledger_amounts(keys: Iterable[str]) -> dict[str, int]:
    """Positive legs of the ledger transactions with these idempotency keys, by key."""
    rows = (
        LedgerEntry.objects.filter(transaction__idempotency_key__in=list(keys), amount_cents__gt=0)
        .values("transaction__idempotency_key")
        .annotate(total=Sum("amount_cents"))
    )
    return {row["transaction__idempotency_key"]: row["total"] for row in rows}


def _open_issue_ids(prefix: str) -> set[str]:
    """What open issues with references ``<prefix>:<id>`` are about."""
    references = ReconciliationIssue.objects.filter(
        resolved_at__isnull=True, reference__startswith=f"{prefix}:"
    ).values_list("reference", flat=True)
    return {reference.split(":", 1)[1] for reference in references}
