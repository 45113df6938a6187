"""Celery glue for payments: each task takes ids (or nothing), calls one service and is safe to
run twice. The work itself lives in ``payments.services``; nothing there imports this module
(services enqueue by task name, see ``transfers.payout_transfer_enqueue``)."""

import logging

from celery import shared_task
from django.conf import settings

from payments import stripe_client
from payments.services import payouts, reconciliation, refunds, transfers, webhook_events

# Retries of one delivery of the transfer task; after them the sweeper takes over.
TRANSFER_MAX_RETRIES = 6
MAX_BACKOFF_SECONDS = 3600
logger = logging.getLogger(__name__)


@shared_task(name="payments.webhook_events_retry", acks_late=True, reject_on_worker_lost=True)
def webhook_events_retry() -> int:
    """Act on stored Stripe events that failed or were interrupted and are due again."""
    return webhook_events.webhook_events_retry()


@shared_task(
    bind=True,
    name=transfers.PAYOUT_TRANSFER_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=TRANSFER_MAX_RETRIES,
)
def payout_transfer_send_task(self, payout_id: int) -> str:
    """One Stripe transfer for an approved payout. Transient errors retry with exponential
    backoff under the same idempotency key; after the last retry the payout stays approved and
    ``payouts_sweep`` sends it again later."""
    try:
        return transfers.payout_transfer_send(payout_id=payout_id)
    except stripe_client.TransientProviderError as error:
        if self.request.retries >= self.max_retries:
            logger.warning(
                "Payout %s: Stripe still failing (%s); left to the sweeper", payout_id, error
            )
            return "retry_later"
        if self.request.is_eager:  # no broker (unit tests): try again at once, still bounded
            return self.apply(args=(payout_id,), retries=self.request.retries + 1).result
        countdown = min(
            settings.PAYOUT_RETRY_BACKOFF_SECONDS * 2**self.request.retries,
            MAX_BACKOFF_SECONDS,
            settings.CELERY_MAX_COUNTDOWN_SECONDS,
        )
        raise self.retry(countdown=countdown, exc=error) from error


@shared_task(name="payments.payouts_sweep", acks_late=True, reject_on_worker_lost=True)
def payouts_sweep() -> int:
    """Every minute: re-queue approved Stripe payouts that no attempt has touched lately, and
    send again card refunds left pending."""
    return transfers.payouts_sweep() + refunds.card_refunds_sweep()


@shared_task(name="payments.payouts_automatic", acks_late=True, reject_on_worker_lost=True)
def payouts_automatic() -> dict[str, int]:
    """Daily: pay connected workers their balance when ``PAYOUTS_AUTOMATIC`` is on."""
    return payouts.payouts_automatic_request()


@shared_task(
    bind=True,
    name="payments.reconcile",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=3,
)
def reconcile(self) -> dict[str, int]:
    """Hourly: compare the ledger with Stripe and record differences (idempotent: open issues
    are updated, not duplicated)."""
    try:
        return reconciliation.reconciliation_run()
    except stripe_client.TransientProviderError as error:
        raise self.retry(countdown=300, exc=error) from error
