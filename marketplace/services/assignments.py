"""Handing out work and taking answers back: claim, submit, skip, return, heartbeat, expiry.

The scheme and why it is race-free: docs/allocation.md. Claim and submit are the hot paths of
the marketplace, so each is one or two SQL statements written by hand; the database constraints
on ``Task`` and ``Assignment`` are the last line of defence behind them. Claim lives in
``claim.py``, submit in ``submit.py``, their shared refusals in ``allocation_common.py``; this
module is the one to import from, and holds skip, return, heartbeat and expiry.

Lock order everywhere: an assignment row, then its task row. A claim locks only a task row
(``FOR UPDATE SKIP LOCKED``) before inserting a new assignment, so no two paths can deadlock.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from marketplace.models import Assignment, AssignmentStatus
from marketplace.services.allocation_common import (  # noqa: F401 - the public names
    MAX_LEASE_FACTOR,
    AllocationError,
    AlreadySubmitted,
    AnswerInvalid,
    AssignmentNotFound,
    ClaimedTask,
    LeaseExpired,
    NotAWorker,
    ProjectNotAvailable,
    SubmitResult,
    _assignment,
    _require_worker,
    _task,
)
from marketplace.services.claim import _gold_ratios, assignment_claim  # noqa: F401
from marketplace.services.submit import assignment_submit  # noqa: F401

# --- Skip, return, heartbeat ------------------------------------------------------------------


def _lock_own(*, worker: User, assignment_id: int) -> Assignment:
    """Caller is inside a transaction. The worker's assignment, row-locked, or 404."""
    assignment = (
        Assignment.objects.select_for_update()
        .filter(pk=assignment_id, worker_id=worker.pk)
        .select_related("project")
        .first()
    )
    if assignment is None:
        raise AssignmentNotFound("No such assignment.")
    return assignment


def _release(*, worker: User, assignment_id: int, to: str, now: datetime | None) -> Assignment:
    _require_worker(worker)
    now = now or timezone.now()
    with transaction.atomic():
        assignment = _lock_own(worker=worker, assignment_id=assignment_id)
        if assignment.status == to:
            return assignment  # a retried request: the slot was released the first time
        if assignment.status != AssignmentStatus.LIVE:
            raise AllocationError(
                f"This assignment is {assignment.get_status_display().lower()}; "
                f"only a task in progress can be {to}."
            )
        Assignment.objects.filter(pk=assignment.pk, status=AssignmentStatus.LIVE).update(
            status=to, released_at=now
        )
        if not assignment.is_gold:
            _release_slots(Counter({assignment.task_id: 1}))
        assignment.status, assignment.released_at = to, now
    return assignment


def _release_slots(per_task: Counter) -> None:
    """Caller is in a transaction and has just moved these assignments out of ``live`` under
    their row locks, so each slot is given back exactly once. Task rows are locked in id order
    so two sweepers cannot deadlock."""
    if not per_task:
        return
    ids = sorted(per_task)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {_task} WHERE id = ANY(%s) ORDER BY id FOR UPDATE",  # nosec B608 # our table names and constant SQL; values are parameters
            [ids],
        )
        cursor.execute(
            f"""UPDATE {_task} t SET slots_taken = t.slots_taken - v.n
            FROM unnest(%s::bigint[], %s::int[]) AS v(id, n) WHERE t.id = v.id""",  # nosec B608 # our table names and constant SQL; values are parameters
            [ids, [per_task[i] for i in ids]],
        )


def assignment_skip(*, worker: User, assignment_id: int, now: datetime | None = None):
    """The worker will not do this task: release its slot. The (task, worker) row stays, so the
    task is never offered to this worker again. Only a live assignment; repeating is a no-op."""
    return _release(
        worker=worker, assignment_id=assignment_id, to=AssignmentStatus.SKIPPED, now=now
    )


def assignment_return(*, worker: User, assignment_id: int, now: datetime | None = None):
    """The worker gives the task back (no time, wrong device): release its slot for others.
    Like a skip it is not offered to this worker again; it is counted apart for quality."""
    return _release(
        worker=worker, assignment_id=assignment_id, to=AssignmentStatus.RETURNED, now=now
    )


@transaction.atomic
def assignment_heartbeat(
    *, worker: User, assignment_id: int, now: datetime | None = None
) -> Assignment:
    """Extend a live, unexpired lease to now + the project's time limit, never past
    ``MAX_LEASE_FACTOR`` time limits after the claim. Returns the assignment (``expires_at``
    tells the client how long it has)."""
    _require_worker(worker)
    now = now or timezone.now()
    assignment = _lock_own(worker=worker, assignment_id=assignment_id)
    if assignment.status != AssignmentStatus.LIVE or assignment.expires_at <= now:
        raise LeaseExpired(
            "This assignment is no longer in progress; its lease cannot be extended."
        )
    limit = timedelta(seconds=assignment.project.time_limit_seconds)
    extended = min(now + limit, assignment.claimed_at + MAX_LEASE_FACTOR * limit)
    if extended > assignment.expires_at:
        assignment.expires_at = extended
        assignment.save(update_fields=["expires_at"])
    return assignment


# --- Expiry -----------------------------------------------------------------------------------

_EXPIRE_SQL = f"""
UPDATE {_assignment} SET status = 'expired', released_at = %(now)s
WHERE status = 'live' AND id IN (
    SELECT id FROM {_assignment}
    WHERE status = 'live' AND expires_at <= %(now)s
    ORDER BY expires_at
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED)
RETURNING task_id, is_gold
"""  # nosec B608 # our table names and constant SQL; values are parameters


def assignments_expire(*, now: datetime | None = None, batch_size: int = 1000) -> int:
    """The sweeper: expire live assignments whose lease has run out and release their slots.

    Safe to run twice or in parallel: an assignment leaves ``live`` once, under its row lock, and
    its slot is released in the same transaction. Rows a submit is holding are skipped (the
    submit decides). Returns how many assignments expired.
    """
    now = now or timezone.now()
    expired = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_EXPIRE_SQL, {"now": now, "limit": batch_size})
            rows = cursor.fetchall()
            _release_slots(Counter(task_id for task_id, is_gold in rows if not is_gold))
        expired += len(rows)
        if len(rows) < batch_size:
            return expired
