"""The audit log's only writer. Entries are never changed (the database refuses it)."""

from accounts.models import User
from workers.models import AuditLogEntry


def audit_record(
    *, actor: User, action: str, worker: User | None, reason: str = "", details: dict | None = None
) -> AuditLogEntry:
    """Record one staff or requester action on a worker (or on the platform: no worker), in the
    caller's transaction (so an action and its entry commit together).
    Requesters' entries carry their organisation."""
    return AuditLogEntry.objects.create(
        actor=actor,
        account_id=None if actor.is_staff else actor.requester_account_id,
        action=action,
        worker=worker,
        reason=reason,
        details=details or {},
    )
