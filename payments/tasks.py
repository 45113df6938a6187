"""Celery jobs for payments. Each reloads rows by id and is safe to run twice."""

import logging

from celery import shared_task

from payments.models import WebhookEvent
from payments.webhooks import webhook_event_process

RETRY_BATCH = 100
logger = logging.getLogger(__name__)


@shared_task(name="payments.webhook_events_retry", acks_late=True, reject_on_worker_lost=True)
def webhook_events_retry() -> int:
    """Act on stored Stripe events that failed or were interrupted. Processing is idempotent
    (the event row is locked and marked in the same commit), so overlapping runs are harmless."""
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
