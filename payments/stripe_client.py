"""The only module that imports ``stripe``. Production talks to api.stripe.com; tests and the
demo set ``STRIPE_API_BASE`` to a loopback server (localstripe) and nothing else changes.
Connect calls (Express accounts, account links, transfers) go to ``STRIPE_CONNECT_API_BASE`` when
it is set (tests: their loopback Connect fake in tests/payments/, as localstripe has no Connect),
else to the same base as the rest."""

import json
from dataclasses import dataclass

import stripe
from django.conf import settings

WEBHOOK_TOLERANCE_SECONDS = 300


class CardDeclinedError(Exception):
    """The card was refused; the message is Stripe's, fit to show the requester."""


class ProviderError(Exception):
    """Stripe could not be reached or refused the request for a reason other than the card."""


class IdempotencyConflictError(ProviderError):
    """Stripe refused an idempotency key already used with other parameters."""


class TransientProviderError(ProviderError):
    """Worth retrying with the same idempotency key: a timeout, a lost connection, 429, 5xx, or
    a key or permission problem of ours (configuration, not the payout's fault)."""


class DefinitiveProviderError(ProviderError):
    """Stripe refused the request itself (a 4xx about its parameters); retrying cannot help."""


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
    except stripe.IdempotencyError as error:
        raise IdempotencyConflictError(str(error.user_message or error)) from error
    except stripe.StripeError as error:
        raise ProviderError(str(error.user_message or error)) from error
    return _intent(intent)


def payment_intent_retrieve(payment_intent_id: str) -> PaymentIntent:
    try:
        return _intent(_client().v1.payment_intents.retrieve(payment_intent_id))
    except stripe.StripeError as error:
        raise ProviderError(str(error.user_message or error)) from error


def payment_intent_find(payment_intent_id: str) -> PaymentIntent | None:
    """The PaymentIntent, or None when Stripe has no such object (reconciliation)."""
    try:
        return _intent(_client().v1.payment_intents.retrieve(payment_intent_id))
    except stripe.StripeError as error:
        if error.http_status == 404:
            return None
        raise ProviderError(str(error.user_message or error)) from error


def webhook_event_verify(*, payload: bytes, signature: str) -> dict:
    """The event as a plain dict, once its signature checks out within the tolerance against
    ``STRIPE_WEBHOOK_SECRET`` or (events from connected accounts, a second endpoint at Stripe
    with its own secret) ``STRIPE_CONNECT_WEBHOOK_SECRET``."""
    secrets = [
        s for s in (settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_CONNECT_WEBHOOK_SECRET) if s
    ]
    if not secrets:
        raise SignatureError("No webhook secret is configured.")
    for number, secret in enumerate(secrets, start=1):
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"), signature, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
            )
            break
        except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as error:
            if number == len(secrets):
                raise SignatureError(str(error)) from error
    try:
        return json.loads(payload)
    except ValueError as error:
        raise SignatureError("The payload is not JSON.") from error


# --- Connect: Express accounts, onboarding links, transfers -----------------------------------


@dataclass(frozen=True)
class ConnectAccount:
    id: str
    payouts_enabled: bool
    details_submitted: bool


@dataclass(frozen=True)
class Transfer:
    id: str
    amount_cents: int
    destination: str
    metadata: dict


@dataclass(frozen=True)
class Refund:
    id: str
    amount_cents: int
    status: str
    payment_intent_id: str
    metadata: dict


def _connect_client() -> stripe.StripeClient:
    """No SDK-level retries: callers retry with the same idempotency key on their own schedule
    (Celery backoff), and a short timeout frees the worker when Stripe hangs."""
    base = settings.STRIPE_CONNECT_API_BASE or settings.STRIPE_API_BASE
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": base} if base else None,
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
    )


def _classified(error: stripe.StripeError) -> ProviderError:
    status = error.http_status or 0
    definitive = isinstance(error, stripe.InvalidRequestError | stripe.IdempotencyError) or (
        400 <= status < 500 and status not in (401, 403, 409, 429)
    )
    if isinstance(error, stripe.APIConnectionError | stripe.RateLimitError):
        definitive = False
    kind = DefinitiveProviderError if definitive else TransientProviderError
    return kind(str(error.user_message or error) or type(error).__name__)


def _account(resource) -> ConnectAccount:
    obj = resource.to_dict()
    return ConnectAccount(
        id=obj["id"],
        payouts_enabled=bool(obj.get("payouts_enabled")),
        details_submitted=bool(obj.get("details_submitted")),
    )


def connect_account_create(*, email: str, metadata: dict, idempotency_key: str) -> ConnectAccount:
    try:
        account = _connect_client().v1.accounts.create(
            params={
                "type": "express",
                "email": email,
                "capabilities": {"transfers": {"requested": True}},
                "metadata": metadata,
            },
            options={"idempotency_key": idempotency_key},
        )
    except stripe.StripeError as error:
        raise _classified(error) from error
    return _account(account)


def connect_account_retrieve(account_id: str) -> ConnectAccount:
    try:
        return _account(_connect_client().v1.accounts.retrieve(account_id))
    except stripe.StripeError as error:
        raise _classified(error) from error


def account_link_create(*, account_id: str, refresh_url: str, return_url: str) -> str:
    """A one-time URL of Stripe's hosted onboarding for the account."""
    try:
        link = _connect_client().v1.account_links.create(
            params={
                "account": account_id,
                "refresh_url": refresh_url,
                "return_url": return_url,
                "type": "account_onboarding",
            }
        )
    except stripe.StripeError as error:
        raise _classified(error) from error
    return link.to_dict()["url"]


def _transfer(resource) -> Transfer:
    obj = resource.to_dict()
    return Transfer(
        id=obj["id"],
        amount_cents=int(obj["amount"]),
        destination=obj.get("destination") or "",
        metadata=dict(obj.get("metadata") or {}),
    )


def transfer_create(
    *, amount_cents: int, destination: str, metadata: dict[str, str], idempotency_key: str
) -> Transfer:
    """Send ``amount_cents`` to a connected account. The same key with the same parameters
    returns the first transfer, so a retry after a lost response moves no more money."""
    try:
        transfer = _connect_client().v1.transfers.create(
            params={
                "amount": amount_cents,
                "currency": "usd",
                "destination": destination,
                "metadata": metadata,
            },
            options={"idempotency_key": idempotency_key},
        )
    except stripe.StripeError as error:
        raise _classified(error) from error
    return _transfer(transfer)


def transfers_list(
    *, created_gte: int | None = None, destination: str = "", page_size: int = 100
) -> list[Transfer]:
    """Transfers, newest first (reconciliation): all of them, or those created at or after the
    Unix time ``created_gte`` and/or sent to ``destination``. The SDK pages through the list
    with ``starting_after``, keeping the filters on every page."""
    params: dict = {"limit": page_size}
    if created_gte is not None:
        params["created"] = {"gte": created_gte}
    if destination:
        params["destination"] = destination
    try:
        page = _connect_client().v1.transfers.list(params=params)
        return [_transfer(transfer) for transfer in page.auto_paging_iter()]
    except stripe.StripeError as error:
        raise _classified(error) from error


def transfer_retrieve(transfer_id: str) -> Transfer | None:
    """The transfer, or None when Stripe has no such transfer (reconciliation)."""
    try:
        return _transfer(_connect_client().v1.transfers.retrieve(transfer_id))
    except stripe.StripeError as error:
        if error.http_status == 404:
            return None
        raise _classified(error) from error


# --- Refunds of card payments -----------------------------------------------------------------


def _refund(resource) -> Refund:
    obj = resource.to_dict()
    return Refund(
        id=obj["id"],
        amount_cents=int(obj["amount"]),
        status=obj.get("status") or "",
        payment_intent_id=obj.get("payment_intent") or "",
        metadata=dict(obj.get("metadata") or {}),
    )


def refund_create(
    *, payment_intent_id: str, amount_cents: int, metadata: dict[str, str], idempotency_key: str
) -> Refund:
    try:
        refund = _client().v1.refunds.create(
            params={
                "payment_intent": payment_intent_id,
                "amount": amount_cents,
                "metadata": metadata,
            },
            options={"idempotency_key": idempotency_key},
        )
    except stripe.StripeError as error:
        raise _classified(error) from error
    return _refund(refund)


def refunds_list(*, payment_intent_id: str) -> list[Refund]:
    try:
        page = _client().v1.refunds.list(params={"payment_intent": payment_intent_id, "limit": 100})
        return [_refund(refund) for refund in page.auto_paging_iter()]
    except stripe.StripeError as error:
        raise _classified(error) from error


def refund_retrieve(refund_id: str) -> Refund | None:
    """The refund, or None when Stripe has no such refund (reconciliation)."""
    try:
        return _refund(_client().v1.refunds.retrieve(refund_id))
    except stripe.StripeError as error:
        if error.http_status == 404:
            return None
        raise _classified(error) from error
