"""Stored Stripe events: store once by event id, then act on each exactly once.

The view (``payments.webhooks``) verifies and stores a delivery, then processes it; the beat
job ``payments.webhook_events_retry`` processes whatever is still pending. Processing locks the
event row and sets ``processed_at`` in the same commit as the handler's ledger entries, so a
repeat (Stripe's retry, an overlapping job) finds it done. Handlers re-fetch the object from
Stripe rather than trusting the event's snapshot.
"""

import logging

from django.db import transaction
from django.utils import timezone

from payments.models import WebhookEvent
from payments.services.connect import payout_account_refresh
from payments.services.funds import card_payment_failed, card_payment_succeeded
from payments.services.refunds import card_refund_send

logger = logging.getLogger(__name__)
RETRY_BATCH = 100


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


def webhook_events_retry() -> int:
    """Act on stored events that failed or were interrupted; returns how many now succeeded.
    Processing is idempotent, so overlapping runs are harmless."""
    done = 0
    pending = WebhookEvent.objects.filter(processed_at__isnull=True).order_by("received_at")
    for event_id in list(pending.values_list("event_id", flat=True)[:RETRY_BATCH]):
        try:
            webhook_event_process(event_id=event_id)
        except Exception:  # recorded on the row; the next run tries again
            logger.warning("Stripe event %s still fails", event_id, exc_info=True)
            continue
        done += 1
    return done
