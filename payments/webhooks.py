"""Stripe webhooks: verify, store by event id, then act exactly once.

1. The signature is checked against ``STRIPE_WEBHOOK_SECRET`` with a 300-second tolerance
   (``stripe_client.webhook_event_verify``); a bad one gets 400 and nothing is stored.
2. The event is stored by its id (unique) in its own transaction before anything acts on it.
3. Acting happens in one transaction with the event row locked: if ``processed_at`` is set the
   event was handled and nothing happens; otherwise the handler runs and ``processed_at`` is set
   in the same commit as the ledger entries. A crash in between rolls back both.
4. Handlers do not trust the event's snapshot: they re-fetch the object from Stripe, so repeats
   and out-of-order deliveries converge on Stripe's current state. A failed handler answers 500
   (Stripe retries) and the sweeper ``payments.tasks.webhook_events_retry`` tries again.
"""

import logging

from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from payments import stripe_client
from payments.models import WebhookEvent
from payments.services import card_payment_failed, card_payment_succeeded
from payments.services.connect import payout_account_refresh
from payments.services.refunds import card_refund_send

logger = logging.getLogger(__name__)


def _payment_intent_succeeded(event: dict) -> None:
    card_payment_succeeded(payment_intent_id=event["data"]["object"]["id"])


def _payment_intent_failed(event: dict) -> None:
    intent = event["data"]["object"]
    error = intent.get("last_payment_error") or {}
    card_payment_failed(
        payment_intent_id=intent["id"], message=error.get("message") or "The payment failed."
    )


def _account_updated(event: dict) -> None:
    payout_account_refresh(provider_account_id=event["data"]["object"]["id"])


def _refund_updated(event: dict) -> None:
    """Ours carry their row id; ``card_refund_send`` re-reads Stripe's refund and records it."""
    refund_id = ((event["data"]["object"].get("metadata") or {}).get("quorum_refund_id")) or ""
    if refund_id.isdigit():
        card_refund_send(refund_id=int(refund_id))


HANDLERS = {
    "refund.updated": _refund_updated,
    "account.updated": _account_updated,
    "payment_intent.succeeded": _payment_intent_succeeded,
    "payment_intent.payment_failed": _payment_intent_failed,
}


def webhook_event_store(*, event: dict) -> WebhookEvent:
    """Store the verified event once; a repeat delivery finds the first row."""
    stored, _ = WebhookEvent.objects.get_or_create(
        event_id=event["id"], defaults={"type": event.get("type", ""), "payload": event}
    )
    return stored


def webhook_event_process(*, event_id: str) -> bool:
    """Act on a stored event unless it was acted on already. Returns True when it is
    (now or before) processed; errors are recorded on the row and re-raised."""
    try:
        with transaction.atomic():
            stored = WebhookEvent.objects.select_for_update().get(event_id=event_id)
            if stored.processed_at is not None:
                return True
            handler = HANDLERS.get(stored.type)
            if handler is not None:
                handler(stored.payload)
            stored.processed_at = timezone.now()
            stored.attempts += 1
            stored.last_error = ""
            stored.save(update_fields=["processed_at", "attempts", "last_error"])
            return True
    except Exception as error:
        WebhookEvent.objects.filter(event_id=event_id).update(last_error=str(error)[:2000])
        raise


@csrf_exempt
@require_POST
def stripe_webhook(request):
    try:
        event = stripe_client.webhook_event_verify(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except stripe_client.SignatureError:
        return HttpResponse("Invalid signature.", status=400)
    if not isinstance(event, dict) or "id" not in event:
        return HttpResponse("Not an event.", status=400)
    stored = webhook_event_store(event=event)
    try:
        webhook_event_process(event_id=stored.event_id)
    except Exception:
        logger.exception("Stripe event %s failed; Stripe and the sweeper will retry", event["id"])
        return HttpResponse("Processing failed; retry later.", status=500)
    return HttpResponse("ok")
