"""Grants and revocations of qualifications: on request (kind ``auto``), by hand with a reason
(audited), and on a passed test (``grant_record``, called by ``qualification_attempts``). Every
change notifies the worker and, once committed, invalidates their cached eligibility."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from workers.eligibility import eligibility_invalidate
from workers.models import AuditAction, QualificationKind, QualificationType, WorkerQualification
from workers.services.audit import audit_record
from workers.services.errors import AttemptRefused, InvalidInput, NotFound
from workers.services.notifications import notification_create
from workers.services.qualification_common import qualification_check_manager, require_worker


def grant_record(
    *,
    worker: User,
    qualification: QualificationType,
    value: int,
    now: datetime,
    granted_by: User | None = None,
    reason: str = "",
) -> WorkerQualification:
    """Grant (or renew, or restore) the qualification with ``value``, valid for the type's
    ``validity_days`` from ``now``. Precondition: the caller decided the grant is due (a pass, a
    request, a manager's decision) and runs inside a transaction."""
    expires_at = (
        now + timedelta(days=qualification.validity_days) if qualification.validity_days else None
    )
    grant, _ = WorkerQualification.objects.update_or_create(
        worker=worker,
        qualification=qualification,
        defaults={
            "value": value,
            "granted_at": now,
            "expires_at": expires_at,
            "revoked_at": None,
            "reason": reason,
            "granted_by": granted_by,
        },
    )
    until = f" until {expires_at:%Y-%m-%d}" if expires_at else ""
    notification_create(
        worker=worker,
        text=f"You were granted the qualification “{qualification.name}” ({value}){until}.",
    )
    transaction.on_commit(lambda: eligibility_invalidate(worker_id=worker.pk))
    return grant


@transaction.atomic
def qualification_request(
    *, worker: User, qualification: QualificationType, now: datetime | None = None
) -> WorkerQualification:
    """An auto-granted qualification: the worker asks and gets ``auto_value``."""
    require_worker(worker)
    now = now or timezone.now()
    if qualification.kind != QualificationKind.AUTO or not qualification.is_active:
        raise AttemptRefused("This qualification is not granted on request.")
    existing = WorkerQualification.objects.filter(
        worker=worker, qualification=qualification
    ).first()
    if existing is not None and existing.revoked_at is not None:
        raise AttemptRefused("This qualification was revoked; it cannot be requested again.")
    if existing is not None and existing.is_active_at(now):
        return existing
    return grant_record(
        worker=worker, qualification=qualification, value=qualification.auto_value, now=now
    )


@transaction.atomic
def qualification_grant(
    *,
    actor: User,
    worker: User,
    qualification: QualificationType,
    value: int,
    reason: str,
    now: datetime | None = None,
) -> WorkerQualification:
    """Grant by hand (requester for their own types, staff for any), with a reason; audited."""
    qualification_check_manager(actor=actor, qualification=qualification)
    if not worker.is_worker:
        raise InvalidInput("Only workers hold qualifications.")
    if not reason.strip():
        raise InvalidInput("A reason is required.", fields={"reason": ["This field is required."]})
    grant = grant_record(
        worker=worker,
        qualification=qualification,
        value=value,
        now=now or timezone.now(),
        granted_by=actor,
        reason=reason,
    )
    audit_record(
        actor=actor,
        action=AuditAction.GRANT,
        worker=worker,
        reason=reason,
        details={"qualification": qualification.pk, "name": qualification.name, "value": value},
    )
    return grant


@transaction.atomic
def qualification_revoke(
    *,
    actor: User,
    worker: User,
    qualification: QualificationType,
    reason: str,
    now: datetime | None = None,
) -> WorkerQualification:
    """Revoke by hand, with a reason; audited. A revoked qualification cannot be earned back
    by a test or a request (``attempt_next_allowed_at``, ``qualification_request``)."""
    qualification_check_manager(actor=actor, qualification=qualification)
    if not reason.strip():
        raise InvalidInput("A reason is required.", fields={"reason": ["This field is required."]})
    grant = (
        WorkerQualification.objects.select_for_update()
        .filter(worker=worker, qualification=qualification, revoked_at__isnull=True)
        .first()
    )
    if grant is None:
        raise NotFound("This worker does not hold this qualification.")
    grant.revoked_at = now or timezone.now()
    grant.reason = reason
    grant.save(update_fields=["revoked_at", "reason"])
    notification_create(
        worker=worker,
        text=f"Your qualification “{qualification.name}” was revoked: {reason}",
    )
    audit_record(
        actor=actor,
        action=AuditAction.REVOKE,
        worker=worker,
        reason=reason,
        details={"qualification": qualification.pk, "name": qualification.name},
    )
    transaction.on_commit(lambda: eligibility_invalidate(worker_id=worker.pk))
    return grant
