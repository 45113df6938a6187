"""Reconciliation: compare the ledger with Stripe and record each difference as a
``ReconciliationIssue`` that staff see (page and API). Run hourly by ``payments.reconcile``.

Checked, per object:
- Stripe payouts: a paid payout has exactly one transfer (found by its ``payout_id`` metadata)
  of its amount and a ``payout:<id>:paid`` ledger movement of its amount; a failed or unknown
  payout has no transfer.
- Card payments: a credited payment is a succeeded PaymentIntent of the same amount, credited
  once (``card:<pi>``) for that amount; a confirmed refund exists at Stripe with its amount, and
  Stripe holds no refund of ours that the ledger does not.
- The in-flight accounts hold exactly the open payouts and pending refunds (whatever their age).

Each run looks at a window of ``RECONCILIATION_WINDOW_DAYS`` (default 35), not at all history:
Stripe's transfers created since the window start (paged with ``created[gte]`` and
``starting_after``), our payouts requested, approved or paid in it, our card payments created,
credited or refunded in it; and regardless of age: the payout of every listed transfer (an
approved one still in progress included), card payments with a pending refund, the open payouts
and pending refunds in the in-flight check, and every object an open issue is about (so an issue
is judged again, not forgotten, once its object leaves the window). Transfers a compared payout
may have got before the window (approved long ago, paid recently) are looked up by destination
from its approval.

The payout checks are in ``reconciliation_payouts.py``, the card checks in
``reconciliation_cards.py``, what they share in ``reconciliation_common.py``; this module runs them.

Approved payouts and pending refunds are in progress (the sweeper owns them) and are not judged.
A difference seen again updates its open issue; one whose object was looked at and no longer
differs is marked resolved; an issue about an object not looked at stays open as it was.
"""

from datetime import datetime

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from payments import ledger
from payments.models import (
    CardRefund,
    CardRefundStatus,
    Payout,
    PayoutStatus,
    ReconciliationIssue,
)
from payments.services.connect import connect_available
from payments.services.reconciliation_cards import _card_differences
from payments.services.reconciliation_common import (
    Comparison,
    Difference,
    reconciliation_window_start,
)
from payments.services.reconciliation_payouts import _payout_differences
from payments.services.refunds import refunds_in_flight_account


def _in_flight_differences() -> list[Difference]:
    found = []
    open_payouts = (
        Payout.objects.filter(
            status__in=[PayoutStatus.REQUESTED, PayoutStatus.APPROVED, PayoutStatus.HELD]
        ).aggregate(total=Sum("amount_cents"))["total"]
        or 0
    )
    balance = ledger.payouts_in_flight_account().balance_cents
    if balance != open_payouts:
        found.append(
            Difference(
                "payouts_in_flight_mismatch",
                "account:payouts_in_flight",
                "Ledger balance differs from open payouts",
                open_payouts,
                balance,
            )
        )
    pending = (
        CardRefund.objects.filter(status=CardRefundStatus.PENDING).aggregate(
            total=Sum("amount_cents")
        )["total"]
        or 0
    )
    balance = refunds_in_flight_account().balance_cents
    if balance != pending:
        found.append(
            Difference(
                "refunds_in_flight_mismatch",
                "account:refunds_in_flight",
                "Ledger balance differs from pending refunds",
                pending,
                balance,
            )
        )
    return found


def reconciliation_compare(*, now: datetime | None = None) -> Comparison:
    """Raises ``stripe_client.ProviderError`` when Stripe cannot be asked (the job retries)."""
    since = reconciliation_window_start(now=now)
    comparison = Comparison(examined={"account:payouts_in_flight", "account:refunds_in_flight"})
    comparison.differences = _in_flight_differences()
    if connect_available():
        comparison.differences += _payout_differences(since, comparison)
        comparison.differences += _card_differences(since, comparison)
    return comparison


@transaction.atomic
def reconciliation_run() -> dict[str, int]:
    """Record the current differences; returns counts of open and newly resolved issues."""
    now = timezone.now()
    comparison = reconciliation_compare(now=now)
    seen = set()
    for difference in comparison.differences:
        seen.add((difference.kind, difference.reference))
        ReconciliationIssue.objects.update_or_create(
            kind=difference.kind,
            reference=difference.reference,
            resolved_at__isnull=True,
            defaults={
                "detail": difference.detail[:500],
                "expected_cents": difference.expected_cents,
                "provider_cents": difference.provider_cents,
                "last_seen_at": now,
            },
            create_defaults={
                "kind": difference.kind,
                "reference": difference.reference,
                "detail": difference.detail[:500],
                "expected_cents": difference.expected_cents,
                "provider_cents": difference.provider_cents,
            },
        )
    resolved = 0
    open_issues = ReconciliationIssue.objects.select_for_update().filter(
        resolved_at__isnull=True, reference__in=comparison.examined
    )
    for issue in open_issues:
        if (issue.kind, issue.reference) not in seen:
            issue.resolved_at = now
            issue.save(update_fields=["resolved_at"])
            resolved += 1
    return {"open": len(seen), "resolved": resolved}
