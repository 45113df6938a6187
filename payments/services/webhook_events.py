"""Stored Stripe events: store once by event id, then act on each exactly once.

The view (``payments.webhooks``) verifies and stores a delivery, then processes it; the beat
job ``payments.webhook_events_retry`` processes whatever is still pending. Processing locks the
event row and sets ``processed_at`` in the same commit as the handler's ledger entries, so a
repeat (Stripe's retry, an overlapping job) finds it done. Handlers re-fetch the object from
Stripe rather than trusting the event's snapshot.

Failures are counted: each failed attempt adds one to ``attempts``, keeps the error and moves
``next_attempt_at`` back by ``retry_delay(attempts)`` (2 minutes, doubling, at most 2 hours);
the ``MAX_ATTEMPTS``-th failure marks the event failed for good (``failed_at``), and it is then
shown to staff (the reconciliation page, ``GET /api/v1/staff/webhook-events/``, the admin)
instead of being tried again. The retry job takes due events soonest first, so events that keep
failing move behind newer ones and cannot starve them.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from payments.models import WebhookEvent
from payments.services.connect import payout_account_refresh
from payments.services.funds import card_payment_failed, card_payment_succeeded
from payments.services.refunds import card_refund_send

logger = logging.getLogger(__name__)
RETRY_BATCH = 100
MAX_ATTEMPTS = 8
# 2, 4, 8 … 64 minutes, then 2 hours: the 8th attempt comes about 4 hours after the first.
FIRST_RETRY_DELAY = timedelta(minutes=2)
MAX_RETRY_DELAY = timedelta(hours=2)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt (doubling, capped)."""
    return min(FIRST_RETRY_DELAY * 2 ** max(attempts - 1, 0), MAX_RETRY_DELAY)


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
    """Act on a stored event unless it was acted on already. Returns True when it is (now or
    before) processed, False when it failed for good earlier (staff look at it, nothing runs).
    A failure is counted on the row (see the module docstring) and re-raised."""
    try:
        with transaction.atomic():
            stored = WebhookEvent.objects.select_for_update().get(event_id=event_id)
            if stored.processed_at is not None:
                return True
            if stored.failed_at is not None:
                return False
            handler = HANDLERS.get(stored.type)
            if handler is not None:
                handler(stored.payload)
            stored.processed_at = timezone.now()
            stored.attempts += 1
            stored.last_error = ""
            stored.save(update_fields=["processed_at", "attempts", "last_error"])
            return True
    except Exception as error:
        _failure_record(event_id=event_id, error=error)
        raise


@transaction.atomic
def _failure_record(*, event_id: str, error: Exception) -> None:
    """Count one failed attempt, in its own transaction (the handler's was rolled back)."""
    stored = WebhookEvent.objects.select_for_update().filter(event_id=event_id).first()
    if stored is None or stored.processed_at is not None or stored.failed_at is not None:
        return
    now = timezone.now()
    stored.attempts += 1
    stored.last_error = (str(error) or type(error).__name__)[:2000]
    stored.next_attempt_at = now + retry_delay(stored.attempts)
    fields = ["attempts", "last_error", "next_attempt_at"]
    if stored.attempts >= MAX_ATTEMPTS:
        stored.failed_at = now
        fields.append("failed_at")
        logger.error(
            "Stripe event %s failed %s times; left to staff: %s",
            event_id,
            stored.attempts,
            stored.last_error,
        )
    stored.save(update_fields=fields)


def webhook_events_due(*, now: datetime | None = None):
    """Pending events whose next attempt is due, soonest first."""
    return WebhookEvent.objects.filter(
        processed_at__isnull=True,
        failed_at__isnull=True,
        next_attempt_at__lte=now or timezone.now(),
    ).order_by("next_attempt_at", "pk")


def webhook_events_retry(*, now: datetime | None = None) -> int:
    """Act on up to ``RETRY_BATCH`` due events; returns how many now succeeded. Processing is
    idempotent, so overlapping runs are harmless (at worst an attempt is counted twice)."""
    done = 0
    for event_id in list(
        webhook_events_due(now=now).values_list("event_id", flat=True)[:RETRY_BATCH]
    ):
        try:
            webhook_event_process(event_id=event_id)
        except Exception:  # counted on the row; due again after its delay
            logger.warning("Stripe event %s still fails", event_id, exc_info=True)
            continue
        done += 1
    return done
