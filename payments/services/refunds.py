"""Refunds of unspent funds to the card they came from.

A request for N cents is split over the organisation's succeeded card payments, newest first,
never more than each payment's unrefunded amount (``CardRefund`` rows, all created with the
reservation: available → refunds in flight, in one transaction under the card payments' and the
account's locks). Each row is then sent to Stripe; Stripe's confirmation (the synchronous answer,
or a later ``refund.updated`` event) moves its amount out to the card, a refusal moves it back to
available funds. Every step is idempotent:

- the whole request by the client's key, per organisation (a repeat for the same amount returns
  the same rows and reserves nothing more; the same key for another amount is refused with
  ``idempotency_key_reused``); its reservation's ledger key is
  ``client:refund:<organisation id>:<key>`` (``ledger.client_idempotency_key``);
- each Stripe refund by ``quorum-refund-<row id>``, and because some Stripe emulators ignore
  idempotency keys, a retry first looks for a refund carrying the row id in its metadata;
- the ledger's outcome by ``sys:refund:<row id>:paid`` / ``sys:refund:<row id>:failed``.

Keys stored before the namespaces were split keep their meaning: reservations made then are keyed
``refund:<organisation id>:<key>`` and outcomes ``refund:<row id>:paid|failed`` (one family, which
is how a client key "paid" could pose as a settled refund's outcome). Both outcome keys are read by
reconciliation (``refund_paid_keys``); a refund's outcome is posted once under its row lock, so no
refund has both.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import User
from config.errors import DomainError
from payments import ledger, money, stripe_client
from payments.models import (
    AccountKind,
    CardPayment,
    CardPaymentStatus,
    CardRefund,
    CardRefundStatus,
    LedgerAccount,
    TransactionKind,
)


class RefundError(DomainError):
    """A refused refund request; the message is for the requester."""

    code, http_status = "refund_refused", 409


def refunds_in_flight_account() -> LedgerAccount:
    account, _ = LedgerAccount.objects.get_or_create(
        code="refunds_in_flight", defaults={"kind": AccountKind.REFUNDS_IN_FLIGHT}
    )
    return account


def _refundable(payment: CardPayment) -> int:
    taken = payment.refunds.exclude(status=CardRefundStatus.FAILED).aggregate(
        total=Sum("amount_cents")
    )["total"]
    return payment.amount_cents - (taken or 0)


def refund_paid_keys(refund_id: int) -> tuple[str, str]:
    """The ledger keys a confirmed refund's payout may carry: today's, and the one used before
    the key namespaces were split."""
    return f"sys:refund:{refund_id}:paid", f"refund:{refund_id}:paid"


@transaction.atomic
def _reserve(*, user: User, amount_cents: int, request_key: str) -> list[CardRefund]:
    account_id = user.requester_account_id
    existing = list(
        CardRefund.objects.filter(
            requester_account_id=account_id, request_key=request_key
        ).order_by("id")
    )
    if existing:
        asked_before = sum(refund.amount_cents for refund in existing)
        if asked_before != amount_cents:
            raise RefundError(
                f"This Idempotency-Key was used for a refund of "
                f"{money.format_cents(asked_before)}; send a new key for a new refund.",
                code=ledger.IdempotencyKeyReusedError.code,
            )
        return existing
    payments = list(
        CardPayment.objects.select_for_update()
        .filter(requester_account_id=account_id, status=CardPaymentStatus.SUCCEEDED)
        .order_by("-credited_at", "-id")
    )
    plan, left = [], amount_cents
    for payment in payments:
        share = min(left, _refundable(payment))
        if share > 0:
            plan.append((payment, share))
            left -= share
    try:
        ledger.transfer(
            source=ledger.requester_available_account(account_id),
            destination=refunds_in_flight_account(),
            amount_cents=amount_cents,
            kind=TransactionKind.REFUND_REQUEST,
            memo=f"Refund to card requested ({len(plan)} payment(s))",
            idempotency_key=ledger.client_idempotency_key("refund", account_id, request_key),
            created_by=user,
        )
    except ledger.OverdraftError as error:
        raise RefundError(
            f"You can refund up to {money.format_cents(error.balance_cents)} (unspent funds; "
            "escrow of live projects is not refundable)."
        ) from error
    if left:  # rolls the reservation back with the rest of this transaction
        raise RefundError(
            f"Only {money.format_cents(amount_cents - left)} can go back to cards: the rest came "
            "by bank transfer (ask staff) or was refunded already."
        )
    return [
        CardRefund.objects.create(
            requester_account_id=account_id,
            card_payment=payment,
            amount_cents=share,
            request_key=request_key,
            created_by=user,
        )
        for payment, share in plan
    ]


def funds_refund(*, user: User, amount_cents: int, request_key: str) -> list[CardRefund]:
    """Refund ``amount_cents`` of the organisation's available funds to its cards. Raises
    ``RefundError`` (nothing reserved) when the amount is not available or not card money."""
    if amount_cents <= 0:
        raise RefundError("A refund is a positive amount.")
    request_key = request_key.strip()[:100]
    if not request_key:
        raise RefundError("A refund request needs a key.")
    refunds = _reserve(user=user, amount_cents=amount_cents, request_key=request_key)
    return [card_refund_send(refund_id=refund.pk) for refund in refunds]


def card_refund_send(*, refund_id: int) -> CardRefund:
    """Make (or find) the Stripe refund of one row and record Stripe's answer. A transient error
    leaves the row pending with the error noted; ``card_refunds_sweep`` tries again."""
    refund = CardRefund.objects.select_related("card_payment").get(pk=refund_id)
    if refund.status != CardRefundStatus.PENDING:
        return refund
    intent = refund.card_payment.payment_intent_id
    try:
        found = [
            remote
            for remote in stripe_client.refunds_list(payment_intent_id=intent)
            if remote.metadata.get("quorum_refund_id") == str(refund.pk)
        ]
        remote = (
            found[0]
            if found
            else stripe_client.refund_create(
                payment_intent_id=intent,
                amount_cents=refund.amount_cents,
                metadata={"quorum_refund_id": str(refund.pk)},
                idempotency_key=f"quorum-refund-{refund.pk}",
            )
        )
    except stripe_client.DefinitiveProviderError as error:
        return card_refund_failed(refund_id=refund.pk, message=str(error))
    except stripe_client.TransientProviderError as error:
        CardRefund.objects.filter(pk=refund.pk).update(last_error=str(error)[:500])
        return CardRefund.objects.get(pk=refund.pk)
    if remote.status == "succeeded":
        return card_refund_confirmed(refund_id=refund.pk, provider_refund_id=remote.id)
    if remote.status in ("failed", "canceled"):
        return card_refund_failed(refund_id=refund.pk, message=f"Stripe: refund {remote.status}")
    CardRefund.objects.filter(pk=refund.pk).update(provider_refund_id=remote.id)
    return CardRefund.objects.get(pk=refund.pk)  # pending at Stripe: the event will tell


@transaction.atomic
def card_refund_confirmed(*, refund_id: int, provider_refund_id: str) -> CardRefund:
    refund = CardRefund.objects.select_for_update().get(pk=refund_id)
    if refund.status != CardRefundStatus.PENDING:
        return refund
    ledger.transfer(
        source=refunds_in_flight_account(),
        destination=ledger.external_card_account(),
        amount_cents=refund.amount_cents,
        kind=TransactionKind.REFUND_PAID,
        memo=f"Refund {provider_refund_id} to card",
        idempotency_key=refund_paid_keys(refund.pk)[0],
        created_by=refund.created_by,
    )
    refund.status = CardRefundStatus.SUCCEEDED
    refund.provider_refund_id = provider_refund_id
    refund.confirmed_at = timezone.now()
    refund.last_error = ""
    refund.save(update_fields=["status", "provider_refund_id", "confirmed_at", "last_error"])
    return refund


@transaction.atomic
def card_refund_failed(*, refund_id: int, message: str) -> CardRefund:
    refund = CardRefund.objects.select_for_update().get(pk=refund_id)
    if refund.status != CardRefundStatus.PENDING:
        return refund
    ledger.transfer(
        source=refunds_in_flight_account(),
        destination=ledger.requester_available_account(refund.requester_account_id),
        amount_cents=refund.amount_cents,
        kind=TransactionKind.REFUND_CANCEL,
        memo=f"Refund {refund.pk} refused: {message}",
        idempotency_key=f"sys:refund:{refund.pk}:failed",
    )
    refund.status = CardRefundStatus.FAILED
    refund.last_error = message[:500]
    refund.save(update_fields=["status", "last_error"])
    return refund


def card_refunds_sweep(*, stale_after_seconds: int = 60) -> int:
    """Send again the refunds left pending (a crash or a Stripe outage after the reservation)."""
    cutoff = timezone.now() - timedelta(seconds=stale_after_seconds)
    pending = CardRefund.objects.filter(status=CardRefundStatus.PENDING, created_at__lte=cutoff)
    ids = list(pending.values_list("pk", flat=True)[:200])
    for refund_id in ids:
        card_refund_send(refund_id=refund_id)
    return len(ids)
