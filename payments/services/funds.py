"""Money coming in: bank transfers recorded by staff, and card payments through Stripe.

A card payment credits the ledger only when Stripe's signed webhook says it succeeded
(``card_payment_succeeded``, called by ``payments.webhooks``), never on the browser's word. The
credit's idempotency key is the PaymentIntent id, so a repeated or late event credits nothing more.
"""

from django.db import transaction
from django.utils import timezone

from accounts.models import RequesterAccount, User
from config.errors import DomainError
from payments import ledger, stripe_client
from payments.models import CardPayment, CardPaymentStatus, LedgerTransaction, TransactionKind

MIN_CARD_PAYMENT_CENTS = 500
MAX_CARD_PAYMENT_CENTS = 1_000_000


class FundingError(DomainError):
    """A refused top-up; the message is for the requester."""

    code, http_status = "payment_refused", 402


@transaction.atomic
def funds_deposit(
    *,
    requester_account: RequesterAccount,
    amount_cents: int,
    reference: str,
    created_by: User | None = None,
) -> LedgerTransaction:
    """Record a bank transfer received for ``requester_account``. The bank ``reference`` makes
    it happen once per organisation: recording the same reference for the same organisation
    again returns the first record (another amount raises ``IdempotencyKeyReusedError``), while
    another organisation's transfer with the same reference (banks reuse short references) is
    its own deposit. Ledger key: ``client:deposit:<organisation id>:<reference>``.

    Deposits recorded before the key named the organisation carry ``deposit:<reference>``; that
    key is looked up first, and counts as this deposit only if it credited this organisation."""
    reference = reference.strip()
    if amount_cents <= 0:
        raise FundingError("A deposit is a positive amount.")
    if not reference:
        raise FundingError("A deposit needs the bank transfer's reference.")
    source = ledger.external_bank_account()
    destination = ledger.requester_available_account(requester_account)
    legs = [(source, -amount_cents), (destination, amount_cents)]
    legacy = LedgerTransaction.objects.filter(
        idempotency_key=f"deposit:{reference}", entries__account=destination
    ).first()
    if legacy is not None:
        return ledger.post(
            kind=TransactionKind.DEPOSIT, legs=legs, idempotency_key=legacy.idempotency_key
        )
    return ledger.post(
        kind=TransactionKind.DEPOSIT,
        legs=legs,
        memo=f"Bank transfer {reference}",
        idempotency_key=ledger.client_idempotency_key("deposit", requester_account.pk, reference),
        created_by=created_by,
    )


def card_payment_start(
    *, user: User, amount_cents: int, payment_method: str, request_key: str
) -> CardPayment:
    """Charge a card for ``amount_cents``. ``request_key`` (from the form or the API's
    Idempotency-Key) makes a retried request reuse the same PaymentIntent: Stripe's key is
    ``topup:<organisation id>:<key>`` (per operation and organisation; Stripe keys live apart
    from ledger keys, and no other Stripe key of ours starts with ``topup:``), and Stripe refuses
    it with other parameters (``IdempotencyKeyReusedError``, 409). Raises ``FundingError`` with
    a message for the requester."""
    if not MIN_CARD_PAYMENT_CENTS <= amount_cents <= MAX_CARD_PAYMENT_CENTS:
        raise FundingError(
            f"Card top-ups are between ${MIN_CARD_PAYMENT_CENTS // 100} and "
            f"${MAX_CARD_PAYMENT_CENTS // 100:,}."
        )
    account_id = user.requester_account_id
    try:
        intent = stripe_client.payment_intent_create(
            amount_cents=amount_cents,
            payment_method=payment_method,
            metadata={"requester_account_id": str(account_id), "user_id": str(user.pk)},
            idempotency_key=f"topup:{account_id}:{request_key}",
        )
    except stripe_client.CardDeclinedError as error:
        raise FundingError(f"The card was declined: {error}") from error
    except stripe_client.IdempotencyConflictError as error:
        raise ledger.IdempotencyKeyReusedError(
            "This Idempotency-Key was used for another card payment; send a new key."
        ) from error
    except stripe_client.ProviderError as error:
        raise FundingError("The card processor is unavailable; nothing was charged.") from error
    payment, _ = CardPayment.objects.get_or_create(
        payment_intent_id=intent.id,
        defaults={
            "requester_account_id": account_id,
            "created_by": user,
            "amount_cents": intent.amount_cents,
        },
    )
    return payment


@transaction.atomic
def card_payment_succeeded(*, payment_intent_id: str) -> CardPayment:
    """Credit a succeeded PaymentIntent, once. The intent is re-fetched from Stripe (the event
    may be old or out of order); its metadata names the account even if our row is missing
    because the process died between Stripe's answer and our insert."""
    intent = stripe_client.payment_intent_retrieve(payment_intent_id)
    payment = CardPayment.objects.select_for_update().filter(payment_intent_id=intent.id).first()
    if payment is None:
        payment = CardPayment.objects.create(
            payment_intent_id=intent.id,
            requester_account_id=int(intent.metadata["requester_account_id"]),
            amount_cents=intent.amount_cents,
        )
        payment = CardPayment.objects.select_for_update().get(pk=payment.pk)
    if intent.status != "succeeded" or payment.status == CardPaymentStatus.SUCCEEDED:
        return payment
    ledger.transfer(
        source=ledger.external_card_account(),
        destination=ledger.requester_available_account(payment.requester_account_id),
        amount_cents=intent.amount_cents,
        kind=TransactionKind.CARD_FUNDING,
        memo=f"Card payment {intent.id}",
        idempotency_key=f"card:{intent.id}",
        created_by=payment.created_by,
    )
    payment.status = CardPaymentStatus.SUCCEEDED
    payment.credited_at = timezone.now()
    payment.failure_message = ""
    payment.save(update_fields=["status", "credited_at", "failure_message"])
    return payment


@transaction.atomic
def card_payment_failed(*, payment_intent_id: str, message: str) -> None:
    """Mark a payment failed, unless it already succeeded (a late failure event for a retried
    intent changes nothing)."""
    CardPayment.objects.filter(payment_intent_id=payment_intent_id).exclude(
        status=CardPaymentStatus.SUCCEEDED
    ).update(status=CardPaymentStatus.FAILED, failure_message=message[:300])
