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

Approved payouts and pending refunds are in progress (the sweeper owns them) and are not judged.
A difference seen again updates its open issue; one whose object was looked at and no longer
differs is marked resolved; an issue about an object not looked at stays open as it was.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from payments import ledger, stripe_client
from payments.models import (
    CardPayment,
    CardPaymentStatus,
    CardRefund,
    CardRefundStatus,
    LedgerEntry,
    Payout,
    PayoutMethod,
    PayoutStatus,
    ReconciliationIssue,
)
from payments.services.connect import connect_available
from payments.services.refunds import refunds_in_flight_account

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


def _transfers_to_compare(since: datetime, comparison: Comparison) -> dict:
    """Stripe's transfers since the window start, and those open issues are about."""
    listed = stripe_client.transfers_list(created_gte=_unix(since - CLOCK_MARGIN))
    transfers = {transfer.id: transfer for transfer in listed}
    for transfer_id in _open_issue_ids("transfer") - set(transfers):
        comparison.examined.add(f"transfer:{transfer_id}")  # gone from Stripe: resolved
        remote = stripe_client.transfer_retrieve(transfer_id)
        if remote is not None:
            transfers[remote.id] = remote
    return transfers


def _payouts_to_compare(since: datetime, transfers: dict) -> list[Payout]:
    referenced = {transfer.metadata.get("payout_id", "") for transfer in transfers.values()}
    referenced |= _open_issue_ids("payout")
    return list(
        Payout.objects.filter(method=PayoutMethod.STRIPE)
        .exclude(status__in=[PayoutStatus.REQUESTED, PayoutStatus.HELD])
        .filter(
            Q(requested_at__gte=since)
            | Q(approved_at__gte=since)
            | Q(paid_at__gte=since)
            | Q(pk__in=[int(pk) for pk in referenced if pk.isdigit()])
        )
        .order_by("pk")
    )


def _add_earlier_transfers(payouts: list[Payout], transfers: dict, since: datetime) -> None:
    """A compared payout approved before the window (paid or refused recently, or pulled in by
    a recent transfer or an open issue) may have a transfer older than the listing: look it up
    among its destination's transfers since its approval, the earliest one can exist."""
    wanted = {str(payout.pk) for payout in payouts}
    earliest: dict[str, datetime] = {}
    for payout in payouts:
        start = (payout.approved_at or payout.requested_at) - CLOCK_MARGIN
        if payout.status != PayoutStatus.APPROVED and start < since - CLOCK_MARGIN:
            destination = payout.destination_account_id
            earliest[destination] = min(earliest.get(destination, start), start)
    for destination, start in earliest.items():
        for transfer in stripe_client.transfers_list(
            created_gte=_unix(start), destination=destination
        ):
            if transfer.metadata.get("payout_id") in wanted:
                transfers.setdefault(transfer.id, transfer)


def _payout_differences(since: datetime, comparison: Comparison) -> list[Difference]:
    transfers_found = _transfers_to_compare(since, comparison)
    payouts = _payouts_to_compare(since, transfers_found)
    _add_earlier_transfers(payouts, transfers_found, since)
    comparison.examined |= {f"transfer:{transfer_id}" for transfer_id in transfers_found}
    transfers = defaultdict(list)
    for transfer in transfers_found.values():
        transfers[transfer.metadata.get("payout_id", "")].append(transfer)
    booked = _ledger_amounts(f"payout:{payout.pk}:paid" for payout in payouts)
    found = []
    for payout in payouts:
        ref = f"payout:{payout.pk}"
        comparison.examined.add(ref)
        sent = transfers.pop(str(payout.pk), [])
        if payout.status == PayoutStatus.APPROVED:
            continue  # in progress
        if len(sent) > 1:
            found.append(
                Difference(
                    "duplicate_transfer",
                    ref,
                    f"{len(sent)} transfers at Stripe",
                    payout.amount_cents,
                    sum(t.amount_cents for t in sent),
                )
            )
        if payout.status == PayoutStatus.PAID:
            if not sent:
                found.append(
                    Difference(
                        "paid_without_transfer",
                        ref,
                        "Paid in the ledger, no transfer at Stripe",
                        payout.amount_cents,
                        0,
                    )
                )
            elif sent[0].amount_cents != payout.amount_cents:
                found.append(
                    Difference(
                        "transfer_amount_mismatch",
                        ref,
                        f"Transfer {sent[0].id} amount differs",
                        payout.amount_cents,
                        sent[0].amount_cents,
                    )
                )
            if booked.get(f"{ref}:paid") != payout.amount_cents:
                found.append(
                    Difference(
                        "ledger_amount_mismatch",
                        ref,
                        "The ledger's payout movement differs from the payout",
                        payout.amount_cents,
                        booked.get(f"{ref}:paid"),
                    )
                )
        elif sent:
            found.append(
                Difference(
                    "transfer_for_unpaid_payout",
                    ref,
                    f"Payout is {payout.status} but Stripe has {sent[0].id}",
                    0,
                    sum(t.amount_cents for t in sent),
                )
            )
    for payout_id, unknown in transfers.items():
        for transfer in unknown:
            found.append(
                Difference(
                    "transfer_without_payout",
                    f"transfer:{transfer.id}",
                    f"No Stripe payout {payout_id or '(no metadata)'} here",
                    None,
                    transfer.amount_cents,
                )
            )
    return found


def _card_payments_to_compare(since: datetime, comparison: Comparison):
    intents = _open_issue_ids("card_payment")
    for refund_id in _open_issue_ids("refund"):
        remote = stripe_client.refund_retrieve(refund_id)
        if remote is None:
            comparison.examined.add(f"refund:{refund_id}")  # gone from Stripe: resolved
        else:
            intents.add(remote.payment_intent_id)
    refund_rows = [int(pk) for pk in _open_issue_ids("card_refund") if pk.isdigit()]
    return (
        CardPayment.objects.filter(status=CardPaymentStatus.SUCCEEDED)
        .filter(
            Q(created_at__gte=since)
            | Q(credited_at__gte=since)
            | Q(refunds__created_at__gte=since)
            | Q(refunds__confirmed_at__gte=since)
            | Q(refunds__status=CardRefundStatus.PENDING)
            | Q(payment_intent_id__in=intents)
            | Q(refunds__pk__in=refund_rows)
        )
        .distinct()
        .order_by("pk")
        .prefetch_related("refunds")
    )


def _card_differences(since: datetime, comparison: Comparison) -> list[Difference]:
    found = []
    payments = list(_card_payments_to_compare(since, comparison))
    credited = _ledger_amounts(f"card:{payment.payment_intent_id}" for payment in payments)
    refunded = _ledger_amounts(
        f"refund:{refund.pk}:paid" for payment in payments for refund in payment.refunds.all()
    )
    for payment in payments:
        ref = f"card_payment:{payment.payment_intent_id}"
        comparison.examined.add(ref)
        comparison.examined |= {f"card_refund:{refund.pk}" for refund in payment.refunds.all()}
        intent = stripe_client.payment_intent_find(payment.payment_intent_id)
        if intent is None:  # one unknown object must not stop the comparison of the others
            found.append(
                Difference(
                    "card_payment_mismatch",
                    ref,
                    "Stripe has no such PaymentIntent",
                    payment.amount_cents,
                    None,
                )
            )
        elif intent.status != "succeeded" or intent.amount_cents != payment.amount_cents:
            found.append(
                Difference(
                    "card_payment_mismatch",
                    ref,
                    f"Stripe says {intent.status}",
                    payment.amount_cents,
                    intent.amount_cents,
                )
            )
        if credited.get(f"card:{payment.payment_intent_id}") != payment.amount_cents:
            found.append(
                Difference(
                    "card_ledger_mismatch",
                    ref,
                    "Credited amount differs",
                    payment.amount_cents,
                    credited.get(f"card:{payment.payment_intent_id}"),
                )
            )
        if intent is None:
            continue  # no refunds to list at Stripe for an object it does not have
        ours = {r.pk: r for r in payment.refunds.all() if r.status == CardRefundStatus.SUCCEEDED}
        at_stripe = stripe_client.refunds_list(payment_intent_id=payment.payment_intent_id)
        comparison.examined |= {f"refund:{remote.id}" for remote in at_stripe}
        by_row = {r.metadata.get("quorum_refund_id"): r for r in at_stripe}
        for refund in ours.values():
            remote = by_row.get(str(refund.pk))
            if remote is None or remote.amount_cents != refund.amount_cents:
                found.append(
                    Difference(
                        "refund_mismatch",
                        f"card_refund:{refund.pk}",
                        "Refund missing or different at Stripe",
                        refund.amount_cents,
                        remote.amount_cents if remote else 0,
                    )
                )
            if refunded.get(f"refund:{refund.pk}:paid") != refund.amount_cents:
                found.append(
                    Difference(
                        "refund_ledger_mismatch",
                        f"card_refund:{refund.pk}",
                        "Ledger refund movement differs",
                        refund.amount_cents,
                        refunded.get(f"refund:{refund.pk}:paid"),
                    )
                )
        pending = {r.pk for r in payment.refunds.all() if r.status == CardRefundStatus.PENDING}
        for remote in at_stripe:
            row = remote.metadata.get("quorum_refund_id", "")
            if not (row.isdigit() and (int(row) in ours or int(row) in pending)):
                found.append(
                    Difference(
                        "refund_not_in_ledger",
                        f"refund:{remote.id}",
                        f"Refund on {payment.payment_intent_id} not booked here",
                        None,
                        remote.amount_cents,
                    )
                )
    return found


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
