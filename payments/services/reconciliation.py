"""Reconciliation: compare the ledger with Stripe and record each difference as a
``ReconciliationIssue`` that staff see (page and API). Run hourly by ``payments.reconcile``.

Checked, per object:
- Stripe payouts: a paid payout has exactly one transfer (found by its ``payout_id`` metadata)
  of its amount and a ``payout:<id>:paid`` ledger movement of its amount; a failed or unknown
  payout has no transfer.
- Card payments: a credited payment is a succeeded PaymentIntent of the same amount, credited
  once (``card:<pi>``) for that amount; a confirmed refund exists at Stripe with its amount, and
  Stripe holds no refund of ours that the ledger does not.
- The in-flight accounts hold exactly the open payouts and pending refunds.

Approved payouts and pending refunds are in progress (the sweeper owns them) and are not judged.
A difference seen again updates its open issue; one no longer seen is marked resolved.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum
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


@dataclass(frozen=True)
class Difference:
    kind: str
    reference: str
    detail: str
    expected_cents: int | None = None
    provider_cents: int | None = None


def _ledger_amounts(prefix: str) -> dict[str, int]:
    """Positive legs of the ledger transactions whose key starts with ``prefix``, by key."""
    rows = (
        LedgerEntry.objects.filter(
            transaction__idempotency_key__startswith=prefix, amount_cents__gt=0
        )
        .values("transaction__idempotency_key")
        .annotate(total=Sum("amount_cents"))
    )
    return {row["transaction__idempotency_key"]: row["total"] for row in rows}


def _payout_differences() -> list[Difference]:
    transfers = defaultdict(list)
    for transfer in stripe_client.transfers_list():
        transfers[transfer.metadata.get("payout_id", "")].append(transfer)
    booked = _ledger_amounts("payout:")
    found = []
    payouts = Payout.objects.filter(method=PayoutMethod.STRIPE)
    for payout in payouts.exclude(status__in=[PayoutStatus.REQUESTED, PayoutStatus.HELD]):
        ref = f"payout:{payout.pk}"
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


def _card_differences() -> list[Difference]:
    found = []
    credited = _ledger_amounts("card:")
    refunded = _ledger_amounts("refund:")
    for payment in CardPayment.objects.filter(status=CardPaymentStatus.SUCCEEDED):
        ref = f"card_payment:{payment.payment_intent_id}"
        intent = stripe_client.payment_intent_retrieve(payment.payment_intent_id)
        if intent.status != "succeeded" or intent.amount_cents != payment.amount_cents:
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
        ours = {r.pk: r for r in payment.refunds.filter(status=CardRefundStatus.SUCCEEDED)}
        at_stripe = stripe_client.refunds_list(payment_intent_id=payment.payment_intent_id)
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
        pending = set(
            payment.refunds.filter(status=CardRefundStatus.PENDING).values_list("pk", flat=True)
        )
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


def reconciliation_differences() -> list[Difference]:
    """Raises ``stripe_client.ProviderError`` when Stripe cannot be asked (the job retries)."""
    found = _in_flight_differences()
    if connect_available():
        found += _payout_differences() + _card_differences()
    return found


@transaction.atomic
def reconciliation_run() -> dict[str, int]:
    """Record the current differences; returns counts of open and newly resolved issues."""
    now = timezone.now()
    seen = set()
    for difference in reconciliation_differences():
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
    for issue in ReconciliationIssue.objects.select_for_update().filter(resolved_at__isnull=True):
        if (issue.kind, issue.reference) not in seen:
            issue.resolved_at = now
            issue.save(update_fields=["resolved_at"])
            resolved += 1
    return {"open": len(seen), "resolved": resolved}
