"""Requester blocks, staff suspensions and messages to workers. Every one is audited.

Preconditions: the caller has checked that the actor may see the worker (a requester: the worker
has worked for, or tested with, their organisation; see workers.selectors.workforce).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.authentication import user_tokens_refresh
from accounts.models import User
from workers.eligibility import eligibility_invalidate
from workers.models import AuditAction, AuditLogEntry, RequesterBlock, WorkerSuspension
from workers.services.audit import audit_record
from workers.services.errors import InvalidInput, NotAllowed, WorkforceError
from workers.services.notifications import notification_create, notification_email

MAX_MESSAGE_LENGTH = 5000


class MessageLimitReached(WorkforceError):
    code, http_status = "message_limit_reached", 429


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("A reason is required.", fields={"reason": ["This field is required."]})
    return reason


def _require_worker(worker: User) -> None:
    if not worker.is_worker:
        raise InvalidInput("Only workers can be blocked, suspended or messaged.")


def _invalidate(worker: User) -> None:
    transaction.on_commit(lambda: eligibility_invalidate(worker_id=worker.pk))


@transaction.atomic
def requester_block(
    *, actor: User, worker: User, reason: str, now: datetime | None = None
) -> RequesterBlock:
    """Keep the worker off every project of the actor's organisation."""
    if not actor.is_requester:
        raise NotAllowed("Only requesters block workers from their projects.")
    _require_worker(worker)
    reason = _reason(reason)
    try:
        with transaction.atomic():
            block = RequesterBlock.objects.create(
                account_id=actor.requester_account_id,
                worker=worker,
                reason=reason,
                created_by=actor,
                created_at=now or timezone.now(),
            )
    except IntegrityError:
        raise WorkforceError("This worker is already blocked.") from None
    notification_create(
        worker=worker,
        text=f"{actor.requester_account.name} blocked you from their projects: {reason}",
    )
    audit_record(actor=actor, action=AuditAction.BLOCK, worker=worker, reason=reason)
    _invalidate(worker)
    return block


@transaction.atomic
def requester_unblock(
    *, actor: User, worker: User, reason: str, now: datetime | None = None
) -> RequesterBlock:
    if not actor.is_requester:
        raise NotAllowed("Only requesters unblock workers.")
    reason = _reason(reason)
    block = (
        RequesterBlock.objects.select_for_update()
        .filter(account_id=actor.requester_account_id, worker=worker, lifted_at__isnull=True)
        .first()
    )
    if block is None:
        raise WorkforceError("This worker is not blocked.")
    block.lifted_at = now or timezone.now()
    block.lifted_by = actor
    block.save(update_fields=["lifted_at", "lifted_by"])
    notification_create(
        worker=worker, text=f"{actor.requester_account.name} lifted your block: {reason}"
    )
    audit_record(actor=actor, action=AuditAction.UNBLOCK, worker=worker, reason=reason)
    _invalidate(worker)
    return block


@transaction.atomic
def worker_suspend(
    *,
    actor: User,
    worker: User,
    reason: str,
    appeal_note: str = "",
    now: datetime | None = None,
) -> WorkerSuspension:
    """Staff keep the worker off the whole platform; ``appeal_note`` tells them how to appeal."""
    if not actor.is_staff:
        raise NotAllowed("Only staff suspend workers.")
    _require_worker(worker)
    reason = _reason(reason)
    try:
        with transaction.atomic():
            suspension = WorkerSuspension.objects.create(
                worker=worker,
                reason=reason,
                appeal_note=appeal_note,
                created_by=actor,
                created_at=now or timezone.now(),
            )
    except IntegrityError:
        raise WorkforceError("This worker is already suspended.") from None
    appeal = f" To appeal: {appeal_note}" if appeal_note else ""
    notification_create(worker=worker, text=f"Your account is suspended: {reason}.{appeal}")
    audit_record(
        actor=actor,
        action=AuditAction.SUSPEND,
        worker=worker,
        reason=reason,
        details={"appeal_note": appeal_note},
    )
    _invalidate(worker)
    user_tokens_refresh(user_id=worker.pk)  # the API tokens stop (or work again) at once
    return suspension


@transaction.atomic
def worker_unsuspend(
    *, actor: User, worker: User, reason: str, now: datetime | None = None
) -> WorkerSuspension:
    if not actor.is_staff:
        raise NotAllowed("Only staff lift suspensions.")
    reason = _reason(reason)
    suspension = (
        WorkerSuspension.objects.select_for_update()
        .filter(worker=worker, lifted_at__isnull=True)
        .first()
    )
    if suspension is None:
        raise WorkforceError("This worker is not suspended.")
    suspension.lifted_at = now or timezone.now()
    suspension.lifted_by = actor
    suspension.save(update_fields=["lifted_at", "lifted_by"])
    notification_create(worker=worker, text=f"Your suspension was lifted: {reason}")
    audit_record(actor=actor, action=AuditAction.UNSUSPEND, worker=worker, reason=reason)
    _invalidate(worker)
    user_tokens_refresh(user_id=worker.pk)  # the API tokens stop (or work again) at once
    return suspension


@transaction.atomic
def _within_message_limits(*, actor: User, worker: User) -> None:
    """Messages send email: a requester may send ``WORKER_MESSAGES_PER_HOUR`` an hour in all and
    ``WORKER_MESSAGES_PER_WORKER_PER_DAY`` a day to one worker (counted from the audit log,
    where every message is recorded). A soft limit: two requests at the same instant may both
    pass, which spam does not need to be stopped at the exact message."""
    now = timezone.now()
    sent = AuditLogEntry.objects.filter(actor=actor, action=AuditAction.MESSAGE)
    limits = [
        (sent.filter(created_at__gte=now - timedelta(hours=1)), settings.WORKER_MESSAGES_PER_HOUR,
         "an hour"),
        (sent.filter(worker=worker, created_at__gte=now - timedelta(days=1)),
         settings.WORKER_MESSAGES_PER_WORKER_PER_DAY, "a day to one worker"),
    ]  # fmt: skip
    for messages, limit, period in limits:
        if messages.count() >= limit:
            raise MessageLimitReached(
                f"You can send at most {limit} messages {period}; try again later."
            )


def worker_message(*, actor: User, worker: User, subject: str, text: str) -> None:
    """An email plus an in-app notification, from a requester (within the message limits) or
    staff."""
    if not (actor.is_requester or actor.is_staff):
        raise NotAllowed("Only requesters and staff message workers.")
    _require_worker(worker)
    subject, text = (subject or "").strip()[:200], (text or "").strip()
    if not text:
        raise InvalidInput("A message is required.", fields={"text": ["This field is required."]})
    if len(text) > MAX_MESSAGE_LENGTH:
        raise InvalidInput(
            "The message is too long.",
            fields={"text": [f"At most {MAX_MESSAGE_LENGTH} characters."]},
        )
    if not actor.is_staff:
        _within_message_limits(actor=actor, worker=worker)
    sender = "Quorum staff" if actor.is_staff else actor.requester_account.name
    subject = subject or f"A message from {sender}"
    notification_create(worker=worker, text=f"Message from {sender}: {subject} — {text}")
    notification_email(worker=worker, subject=subject, text=text)
    audit_record(
        actor=actor,
        action=AuditAction.MESSAGE,
        worker=worker,
        details={"subject": subject, "text": text},
    )
