"""Reconciliation of card payments and their refunds against localstripe / Stripe."""

from datetime import datetime

from django.db.models import Q

from payments import stripe_client
from payments.models import (
    CardPayment,
    CardPaymentStatus,
    CardRefundStatus,
)
from payments.services.reconciliation_common import (
    Comparison,
    Difference,
    _ledger_amounts,
    _open_issue_ids,
)
from payments.services.refunds import refund_paid_keys


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
        key
        for payment in payments
        for refund in payment.refunds.all()
        for key in refund_paid_keys(refund.pk)
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
            booked = sum(refunded.get(key, 0) for key in refund_paid_keys(refund.pk)) or None
            if booked != refund.amount_cents:
                found.append(
                    Difference(
                        "refund_ledger_mismatch",
                        f"card_refund:{refund.pk}",
                        "Ledger refund movement differs",
                        refund.amount_cents,
                        booked,
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
