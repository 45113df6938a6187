"""Stripe webhooks (the view): verify, store by event id, then act exactly once. Storing and
acting live in ``payments.services.webhook_events``.

1. The signature is checked against ``STRIPE_WEBHOOK_SECRET`` with a 300-second tolerance
   (``stripe_client.webhook_event_verify``); a bad one gets 400 and nothing is stored.
2. The event is stored by its id (unique) in its own transaction before anything acts on it.
3. Acting happens in one transaction with the event row locked: if ``processed_at`` is set the
   event was handled and nothing happens; otherwise the handler runs and ``processed_at`` is set
   in the same commit as the ledger entries. A crash in between rolls back both.
4. Handlers do not trust the event's snapshot: they re-fetch the object from Stripe, so repeats
   and out-of-order deliveries converge on Stripe's current state. A failed handler answers 500
   (Stripe retries) and the sweeper ``payments.tasks.webhook_events_retry`` tries again, with a
   growing delay, up to ``MAX_ATTEMPTS`` attempts; then the event is failed for good and shown
   to staff.
"""

import logging

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from payments import stripe_client
from payments.services.webhook_events import webhook_event_process, webhook_event_store

logger = logging.getLogger(__name__)


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
        # False: it failed for good earlier and staff have it; answering 200 stops Stripe's
        # redeliveries (a repeat cannot help until the cause is fixed).
        webhook_event_process(event_id=stored.event_id)
    except Exception:
        logger.exception("Stripe event %s failed; Stripe and the sweeper will retry", event["id"])
        return HttpResponse("Processing failed; retry later.", status=500)
    return HttpResponse("ok")
