"""The only module that imports ``stripe``. Production talks to api.stripe.com; tests and the
demo set ``STRIPE_API_BASE`` to a loopback server (localstripe) and nothing else changes."""

import json
from dataclasses import dataclass

import stripe
from django.conf import settings

WEBHOOK_TOLERANCE_SECONDS = 300


class CardDeclinedError(Exception):
    """The card was refused; the message is Stripe's, fit to show the requester."""


class ProviderError(Exception):
    """Stripe could not be reached or refused the request for a reason other than the card."""


class SignatureError(Exception):
    """A webhook's ``Stripe-Signature`` is missing, wrong or older than the tolerance."""


@dataclass(frozen=True)
class PaymentIntent:
    id: str
    status: str
    amount_cents: int
    currency: str
    client_secret: str
    metadata: dict
    failure_message: str


def _client() -> stripe.StripeClient:
    base = {"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY, base_addresses=base, max_network_retries=2
    )


def _intent(resource) -> PaymentIntent:
    obj = resource.to_dict()  # stripe objects are not dicts since stripe 13
    error = obj.get("last_payment_error") or {}
    return PaymentIntent(
        id=obj["id"],
        status=obj["status"],
        amount_cents=int(obj["amount"]),
        currency=obj["currency"],
        client_secret=obj.get("client_secret") or "",
        metadata=dict(obj.get("metadata") or {}),
        failure_message=(error.get("message") or "") if isinstance(error, dict) else "",
    )


def payment_intent_create(
    *, amount_cents: int, payment_method: str, metadata: dict[str, str], idempotency_key: str
) -> PaymentIntent:
    """Create and confirm a card PaymentIntent (the card was collected by Stripe.js, or is a
    test card id). Success arrives later through the ``payment_intent.succeeded`` webhook."""
    try:
        intent = _client().v1.payment_intents.create(
            params={
                "amount": amount_cents,
                "currency": "usd",
                "payment_method": payment_method,
                "payment_method_types": ["card"],
                "confirm": True,
                "metadata": metadata,
            },
            options={"idempotency_key": idempotency_key},
        )
    except stripe.CardError as error:
        raise CardDeclinedError(error.user_message or "The card was declined.") from error
    except stripe.StripeError as error:
        raise ProviderError(str(error.user_message or error)) from error
    return _intent(intent)


def payment_intent_retrieve(payment_intent_id: str) -> PaymentIntent:
    try:
        return _intent(_client().v1.payment_intents.retrieve(payment_intent_id))
    except stripe.StripeError as error:
        raise ProviderError(str(error.user_message or error)) from error


def webhook_event_verify(*, payload: bytes, signature: str) -> dict:
    """The event as a plain dict, once its signature checks out against
    ``STRIPE_WEBHOOK_SECRET`` within the tolerance."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise SignatureError("No webhook secret is configured.")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"),
            signature,
            settings.STRIPE_WEBHOOK_SECRET,
            tolerance=WEBHOOK_TOLERANCE_SECONDS,
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as error:
        raise SignatureError(str(error)) from error
    try:
        return json.loads(payload)
    except ValueError as error:
        raise SignatureError("The payload is not JSON.") from error
