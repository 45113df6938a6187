"""Stripe Connect transfers for approved Stripe payouts: exactly one transfer per payout, and
exactly one ledger movement for its outcome, however often the task runs or dies.

- The payout's idempotency key is committed at approval, before any call; every attempt (Celery
  retry, redelivery after a killed worker, the sweeper) sends the same parameters under it, so
  Stripe returns the first transfer instead of making another.
- The outcome is recorded under the payout's row lock, with ledger idempotency keys
  ``payout:<id>:paid`` / ``payout:<id>:failed``: a second success changes nothing.
- Transient errors (timeouts, 429, 5xx) are raised for the task to retry with backoff; a
  definitive refusal (4xx) fails the payout and returns the money to the worker's payable
  balance in one balanced transaction, and tells the worker.
- The transfer is queued on commit; a crash between commit and enqueue, or a lost task, leaves
  the payout approved, and ``payouts_sweep`` (every minute) queues it again.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from config.celery import task_send
from payments import ledger, payout_holds, stripe_client
from payments.models import Payout, PayoutMethod, PayoutStatus, TransactionKind
from payments.signals import payout_failed

logger = logging.getLogger(__name__)


# Queued by name (config.celery.task_send): payments/tasks.py imports this module.
PAYOUT_TRANSFER_TASK = "payments.payout_transfer_send"


def payout_transfer_enqueue(*, payout_id: int) -> None:
    """Queue the transfer once the caller's transaction commits (at once outside one)."""
    transaction.on_commit(lambda: task_send(PAYOUT_TRANSFER_TASK, payout_id))


def payout_transfer_send(*, payout_id: int) -> str:
    """Send (or find again) the payout's transfer and record the outcome. Returns ``paid``,
    ``failed``, ``held`` (the worker was suspended or deactivated after approval, see
    :func:`_hold_before_first_attempt`) or ``skipped`` (not an approved Stripe payout any
    more); raises ``stripe_client.TransientProviderError`` when it is worth retrying. No lock is
    held during the call to Stripe."""
    payout = Payout.objects.filter(pk=payout_id).first()
    if payout is None or payout.method != PayoutMethod.STRIPE:
        return "skipped"
    if payout.status != PayoutStatus.APPROVED:
        return "skipped"
    if _hold_before_first_attempt(payout):
        return "held"
    # Counted only while still approved: a payout held meanwhile is not sent.
    if not Payout.objects.filter(pk=payout.pk, status=PayoutStatus.APPROVED).update(
        transfer_attempts=F("transfer_attempts") + 1, last_attempt_at=timezone.now()
    ):
        return "skipped"
    try:
        transfer = stripe_client.transfer_create(
            amount_cents=payout.amount_cents,
            destination=payout.destination_account_id,
            metadata={"payout_id": str(payout.pk), "worker_id": str(payout.worker_id)},
            idempotency_key=payout.idempotency_key,
        )
    except stripe_client.DefinitiveProviderError as error:
        payout_transfer_failed(payout_id=payout.pk, message=str(error))
        return "failed"
    except stripe_client.TransientProviderError as error:
        Payout.objects.filter(pk=payout.pk).update(last_error=str(error)[:500])
        raise
    payout_transfer_succeeded(
        payout_id=payout.pk, transfer_id=transfer.id, amount_cents=transfer.amount_cents
    )
    return "paid"


@transaction.atomic
def _hold_before_first_attempt(payout: Payout) -> bool:
    """Hold the payout instead of sending it when the worker's payouts are held now
    (``payments.payout_holds``: suspended or deactivated since approval). Only before the first
    attempt: once one was made the transfer may already exist at Stripe, and retrying under the
    same key only finds it. Staff then cancel the held payout, or approve it again once the
    hold is lifted."""
    if payout.transfer_attempts:
        return False
    reasons = payout_holds.payout_hold_reasons(worker=payout.worker)
    if not reasons:
        return False
    held = Payout.objects.filter(
        pk=payout.pk, status=PayoutStatus.APPROVED, transfer_attempts=0
    ).update(status=PayoutStatus.HELD, note=" ".join(reasons)[:300])
    return bool(held)


@transaction.atomic
def payout_transfer_succeeded(*, payout_id: int, transfer_id: str, amount_cents: int) -> Payout:
    """Stripe made the transfer: the money leaves the platform, once."""
    payout = Payout.objects.select_for_update().get(pk=payout_id)
    if payout.status != PayoutStatus.APPROVED:
        if payout.status != PayoutStatus.PAID:
            logger.error(
                "Transfer %s for payout %s in state %s", transfer_id, payout.pk, payout.status
            )
        return payout
    if amount_cents != payout.amount_cents:  # the key pins the amount; this would be a bug
        raise ValueError(
            f"Transfer {transfer_id} is {amount_cents} cents, payout {payout.pk} "
            f"{payout.amount_cents}."
        )
    ledger.transfer(
        source=ledger.payouts_in_flight_account(),
        destination=ledger.external_bank_account(),
        amount_cents=payout.amount_cents,
        kind=TransactionKind.PAYOUT_PAID,
        memo=f"Payout {payout.pk} sent, Stripe transfer {transfer_id}",
        idempotency_key=f"payout:{payout.pk}:paid",
    )
    payout.status = PayoutStatus.PAID
    payout.reference = transfer_id
    payout.paid_at = timezone.now()
    payout.last_error = ""
    payout.save(update_fields=["status", "reference", "paid_at", "last_error"])
    return payout


@transaction.atomic
def payout_transfer_failed(*, payout_id: int, message: str) -> Payout:
    """Stripe refused the transfer for good: the amount goes back to the worker's payable
    balance (one balanced transaction) and ``payments.signals.payout_failed`` is sent inside
    it (the workers app tells the worker why)."""
    payout = Payout.objects.select_for_update().get(pk=payout_id)
    if payout.status != PayoutStatus.APPROVED:
        return payout
    ledger.transfer(
        source=ledger.payouts_in_flight_account(),
        destination=ledger.worker_payable_account(payout.worker_id),
        amount_cents=payout.amount_cents,
        kind=TransactionKind.PAYOUT_FAILED,
        memo=f"Payout {payout.pk} refused by Stripe",
        idempotency_key=f"payout:{payout.pk}:failed",
    )
    payout.status = PayoutStatus.FAILED
    payout.last_error = message[:500]
    payout.save(update_fields=["status", "last_error"])
    payout_failed.send(sender=Payout, payout=payout, message=message)
    return payout


def payouts_stuck(*, stale_after_seconds: int | None = None):
    """Approved Stripe payouts nobody has tried for a while (lost task, crash before enqueue)."""
    seconds = (
        settings.PAYOUT_SWEEP_AFTER_SECONDS if stale_after_seconds is None else stale_after_seconds
    )
    cutoff = timezone.now() - timedelta(seconds=seconds)
    return Payout.objects.filter(method=PayoutMethod.STRIPE, status=PayoutStatus.APPROVED).filter(
        Q(last_attempt_at__lte=cutoff) | Q(last_attempt_at__isnull=True, approved_at__lte=cutoff)
    )


def payouts_sweep(*, stale_after_seconds: int | None = None) -> int:
    """Queue the transfer of every stuck payout again (idempotent: same key, same outcome)."""
    ids = list(payouts_stuck(stale_after_seconds=stale_after_seconds).values_list("pk", flat=True))
    for payout_id in ids:
        task_send(PAYOUT_TRANSFER_TASK, payout_id)
    return len(ids)
