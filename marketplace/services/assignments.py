"""Handing out work and taking answers back: claim, submit, skip, return, heartbeat, expiry.

The scheme and why it is race-free: docs/allocation.md. Claim and submit are the hot paths of
the marketplace, so each is one or two SQL statements written by hand; the database constraints
on ``Task`` and ``Assignment`` are the last line of defence behind them.

Lock order everywhere: an assignment row, then its task row. A claim locks only a task row
(``FOR UPDATE SKIP LOCKED``) before inserting a new assignment, so no two paths can deadlock.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import User
from marketplace.models import (
    Assignment,
    AssignmentStatus,
    Project,
    ProjectCounter,
    ProjectStatus,
    Task,
)
from marketplace.services import allocation_portable
from marketplace.task_types import ValidationProblem, task_type
from marketplace.tasks_aggregation import submission_recorded

# A lease can be extended by heartbeats up to this many time limits after the claim.
MAX_LEASE_FACTOR = 3
# Gold ratios are read from the project at most this often per process (they rarely change and
# a stale ratio only shifts the gold share for a few seconds).
GOLD_RATIO_TTL_SECONDS = 30.0
CLAIM_ATTEMPTS = 3

_assignment = Assignment._meta.db_table
_task = Task._meta.db_table
_project = Project._meta.db_table
_counter = ProjectCounter._meta.db_table
_user = User._meta.db_table


class AllocationError(Exception):
    """A refused operation; ``code`` is the API error code, the message is for the worker."""

    code = "invalid_state"
    http_status = 409

    def __init__(self, message: str, *, errors: list[dict] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or []


class NotAWorker(AllocationError):
    code, http_status = "not_a_worker", 403


class AssignmentNotFound(AllocationError):
    code, http_status = "not_found", 404


class ProjectNotAvailable(AllocationError):
    code, http_status = "project_not_available", 404


class AnswerInvalid(AllocationError):
    code, http_status = "invalid", 400


class LeaseExpired(AllocationError):
    code = "lease_expired"


class AlreadySubmitted(AllocationError):
    code = "already_submitted"


@dataclass(frozen=True)
class ClaimedTask:
    assignment_id: int
    expires_at: datetime
    data: Any
    project_id: int
    project_title: str
    template_type: str


@dataclass(frozen=True)
class SubmitResult:
    assignment_id: int
    submitted_at: datetime
    late: bool
    replayed: bool = False


def _require_worker(worker: User) -> None:
    if not (worker.is_active and worker.is_worker):
        raise NotAWorker("Only workers can take tasks.")


# --- Claim ------------------------------------------------------------------------------------

# One statement: pick a task, lock it (skipping rows other claims hold), take a slot, insert the
# assignment, return what the worker sees. ``{gold_filter}`` chooses regular or gold tasks.
_CLAIM_SQL = f"""
WITH candidate AS (
    SELECT t.id, t.project_id, t.is_gold, t.data
    FROM {_task} t
    WHERE t.project_id = %(project)s AND t.status = 'open' AND {{gold_filter}}
      AND NOT EXISTS (
          SELECT 1 FROM {_assignment} a WHERE a.task_id = t.id AND a.worker_id = %(worker)s)
      AND EXISTS (SELECT 1 FROM {_project} p WHERE p.id = %(project)s AND p.status = 'active')
      AND EXISTS (
          SELECT 1 FROM {_user} u WHERE u.id = %(worker)s AND u.is_active AND u.role = 'worker')
      AND NOT EXISTS (SELECT 1 FROM marketplace_projectblock b
                      WHERE b.project_id = %(project)s AND b.worker_id = %(worker)s)
    ORDER BY t.slots_taken DESC, t.id
    LIMIT 1
    FOR UPDATE OF t SKIP LOCKED
), slot AS (
    UPDATE {_task} t SET slots_taken = t.slots_taken + 1
    FROM candidate c WHERE t.id = c.id AND NOT c.is_gold
    RETURNING t.id
), claimed AS (
    INSERT INTO {_assignment} (
        task_id, worker_id, project_id, is_gold, status, claimed_at, expires_at,
        submit_key, review_status, rejection_reason)
    SELECT c.id, %(worker)s, c.project_id, c.is_gold, 'live', %(now)s,
           %(now)s + make_interval(secs => p.time_limit_seconds), '', 'pending', ''
    FROM candidate c JOIN {_project} p ON p.id = c.project_id
    RETURNING id, task_id, expires_at
)
SELECT claimed.id, claimed.expires_at, c.data, p.title, p.template_type,
       -- A claim may commit without waiting for the WAL flush: if the server crashes in that
       -- instant the claim is lost, nothing else (the worker gets a 404 and claims again).
       -- Submits keep synchronous commit: an answer reported saved is on disk.
       set_config('synchronous_commit', 'off', true)
FROM claimed JOIN candidate c ON c.id = claimed.task_id JOIN {_project} p ON p.id = c.project_id
"""

# Regular tasks: an open slot, fullest first (finish items before starting new ones), which is
# the order of the partial index ``task_open_by_fill``.
_REGULAR_FILTER = "NOT t.is_gold AND t.slots_taken < t.overlap"

# Gold tasks hold no slot (``slots_taken`` stays 0). They start from a random point of the gold
# id range so workers do not all meet the same gold task first, and are served only while the
# worker still has a regular task to do (a gold-only stream would give gold away).
_GOLD_FILTER = f"""t.is_gold AND t.slots_taken = 0
      AND t.id >= (
          SELECT bounds.low + floor(random() * (bounds.high - bounds.low + 1))::bigint
                 * %(from_pivot)s
          FROM (SELECT
              (SELECT g.id FROM {_task} g
               WHERE g.project_id = %(project)s AND g.is_gold AND g.status = 'open'
                 AND g.slots_taken = 0 ORDER BY g.id LIMIT 1) AS low,
              (SELECT g.id FROM {_task} g
               WHERE g.project_id = %(project)s AND g.is_gold AND g.status = 'open'
                 AND g.slots_taken = 0 ORDER BY g.id DESC LIMIT 1) AS high) AS bounds)
      AND EXISTS (
          SELECT 1 FROM {_task} r
          WHERE r.project_id = %(project)s AND r.status = 'open' AND NOT r.is_gold
            AND r.slots_taken < r.overlap
            AND NOT EXISTS (
                SELECT 1 FROM {_assignment} ra
                WHERE ra.task_id = r.id AND ra.worker_id = %(worker)s))"""

_CLAIM_REGULAR = _CLAIM_SQL.format(gold_filter=_REGULAR_FILTER)
_CLAIM_GOLD = _CLAIM_SQL.format(gold_filter=_GOLD_FILTER)
# SKIP LOCKED can answer "nothing" while the only open slots sit on rows another transaction
# holds for a moment (a submit counting an answer, another claim). Before telling a worker
# there is no work, check without locking whether such rows exist, and if so try again after a
# short pause. Waiting on the locks instead would let a claim hold one task row while waiting
# for another, which can deadlock with submits.
_OPEN_SLOT_EXISTS_SQL = f"""
SELECT 1 FROM {_task} t
WHERE t.project_id = %(project)s AND t.status = 'open' AND NOT t.is_gold
  AND t.slots_taken < t.overlap
  AND NOT EXISTS (
      SELECT 1 FROM {_assignment} a WHERE a.task_id = t.id AND a.worker_id = %(worker)s)
  AND NOT EXISTS (SELECT 1 FROM marketplace_projectblock b
                  WHERE b.project_id = %(project)s AND b.worker_id = %(worker)s)
LIMIT 1
"""
CLAIM_BUSY_RETRIES = 20
CLAIM_BUSY_PAUSE_SECONDS = 0.01

_gold_ratios: dict[int, tuple[float, float]] = {}


def _statement_scope():
    """Each claim statement is atomic on its own, so outside a caller's transaction it runs in
    autocommit: no BEGIN and COMMIT round trips on the hottest path. Inside one (a test, a
    service composing claims) a savepoint keeps a unique-constraint refusal from aborting it."""
    return transaction.atomic() if connection.in_atomic_block else nullcontext()


def _gold_ratio(project_id: int) -> float | None:
    """The project's gold ratio from a short per-process cache; None if there is no project."""
    cached = _gold_ratios.get(project_id)
    if cached and cached[1] > time.monotonic():
        return cached[0]
    ratio = Project.objects.filter(pk=project_id).values_list("gold_ratio", flat=True).first()
    if ratio is None:
        return None
    _gold_ratios[project_id] = (ratio, time.monotonic() + GOLD_RATIO_TTL_SECONDS)
    return ratio


def _claimed(row, project_id: int) -> ClaimedTask:
    return ClaimedTask(
        assignment_id=row[0],
        expires_at=row[1],
        data=json.loads(row[2]),
        project_id=project_id,
        project_title=row[3],
        template_type=row[4],
    )


def _claim_in_project(*, worker_id: int, project_id: int, now: datetime) -> ClaimedTask | None:
    ratio = _gold_ratio(project_id)
    if ratio is None:
        return None
    if allocation_portable.portable():
        gold_first = ratio > 0 and random.random() < ratio  # noqa: S311 - a mix, not a secret
        with transaction.atomic():
            found = allocation_portable.claim(
                worker_id=worker_id, project_id=project_id, now=now, gold_first=gold_first
            )
        if found is None:
            return None
        assignment, task, project = found
        return ClaimedTask(
            assignment.pk,
            assignment.expires_at,
            task.data,
            project_id,
            project.title,
            project.template_type,
        )
    params = {"project": project_id, "worker": worker_id, "now": now, "from_pivot": 1}
    # Gold first when the draw says so; from the random pivot, then from the start of the range
    # (``from_pivot`` = 0 multiplies the offset away); then a regular task.
    attempts = []
    if ratio > 0 and random.random() < ratio:  # noqa: S311 - a mix, not a secret
        attempts += [(_CLAIM_GOLD, params), (_CLAIM_GOLD, {**params, "from_pivot": 0})]
    attempts.append((_CLAIM_REGULAR, params))
    conflicts = busy_retries = 0
    while conflicts < CLAIM_ATTEMPTS:
        try:
            with _statement_scope(), connection.cursor() as cursor:
                for sql, values in attempts:
                    cursor.execute(sql, values)
                    row = cursor.fetchone()
                    if row:
                        return _claimed(row, project_id)
                cursor.execute(_OPEN_SLOT_EXISTS_SQL, params)
                if cursor.fetchone() is None:
                    return None  # really nothing left for this worker
            busy_retries += 1
            if busy_retries > CLAIM_BUSY_RETRIES:
                return None
            time.sleep(CLAIM_BUSY_PAUSE_SECONDS * busy_retries)
        except IntegrityError:
            # The same worker claimed the same task in a parallel request (its candidate scan
            # started before the other insert committed): the unique constraint refused the
            # second one, nothing was written. Try again.
            conflicts += 1
    return None


def assignment_claim(
    *, worker: User, project: Project | int | None = None, now: datetime | None = None
) -> ClaimedTask | None:
    """Give the worker the next task: of ``project``, or of any active project by priority.

    Returns None when there is nothing to do. Raises ProjectNotAvailable when ``project`` is
    missing or not active, NotAWorker for other roles. Each attempt is its own transaction; the
    caller must not hold one open (the task row locks would be held until it ends).
    """
    _require_worker(worker)
    from workers.eligibility import eligible_project_ids, ensure_eligible  # workers imports us

    now = now or timezone.now()
    if project is not None:
        project_id = project if isinstance(project, int) else project.pk
        ensure_eligible(worker=worker, project_id=project_id)  # RequirementsNotMet, 403
        claimed = _claim_in_project(worker_id=worker.pk, project_id=project_id, now=now)
        if (
            claimed is None
            and not Project.objects.filter(pk=project_id, status=ProjectStatus.ACTIVE).exists()
        ):
            raise ProjectNotAvailable("This project does not exist or is not open for work.")
        return claimed
    project_ids = Project.objects.filter(status=ProjectStatus.ACTIVE).order_by(
        "-priority", "-created_at", "id"
    )
    for project_id in eligible_project_ids(
        worker=worker, project_ids=project_ids.values_list("id", flat=True)
    ):
        claimed = _claim_in_project(worker_id=worker.pk, project_id=project_id, now=now)
        if claimed is not None:
            return claimed
    return None


# --- Submit -----------------------------------------------------------------------------------

_SUBMIT_READ_SQL = f"""
SELECT a.status, a.answer, a.submit_key, a.submitted_at, a.claimed_at, a.expires_at, a.is_gold,
       a.task_id, t.data, p.template_type, p.label_config
FROM {_assignment} a
JOIN {_task} t ON t.id = a.task_id
JOIN {_project} p ON p.id = a.project_id
WHERE a.id = %(id)s AND a.worker_id = %(worker)s
{{lock}}
"""
_SUBMIT_PEEK = _SUBMIT_READ_SQL.format(lock="")
_SUBMIT_LOCK = _SUBMIT_READ_SQL.format(lock="FOR UPDATE OF a")

# Re-take a released slot for a late answer: only if the task still has one free.
_RETAKE_SLOT_SQL = f"""
UPDATE {_task} SET slots_taken = slots_taken + 1
WHERE id = %(task)s AND status = 'open' AND slots_taken < overlap
RETURNING id
"""

# Store the answer, count it on the task (closing the task at its overlap) and on a random
# counter shard of the project (created on first use), in one statement.
_SUBMIT_WRITE_SQL = f"""
WITH done AS (
    UPDATE {_assignment}
    SET status = 'submitted', answer = %(answer)s::jsonb, submitted_at = %(now)s,
        duration_ms = %(duration)s, submit_key = %(key)s, released_at = NULL
    WHERE id = %(id)s AND status IN ({{statuses}})
    RETURNING task_id, project_id, is_gold
), counted AS (
    UPDATE {_task} t
    SET answers_count = t.answers_count + 1,
        status = CASE WHEN t.answers_count + 1 >= t.overlap THEN 'complete' ELSE t.status END
    FROM done WHERE t.id = done.task_id AND NOT done.is_gold
    RETURNING t.answers_count = t.overlap AS completed
)
INSERT INTO {_counter} AS pc (project_id, shard, tasks_completed, answers, gold_answers)
SELECT done.project_id, %(shard)s,
       (SELECT count(*) FROM counted WHERE counted.completed),
       CASE WHEN done.is_gold THEN 0 ELSE 1 END, CASE WHEN done.is_gold THEN 1 ELSE 0 END
FROM done
ON CONFLICT (project_id, shard) DO UPDATE SET
    tasks_completed = pc.tasks_completed + EXCLUDED.tasks_completed,
    answers = pc.answers + EXCLUDED.answers,
    gold_answers = pc.gold_answers + EXCLUDED.gold_answers
RETURNING pc.project_id
"""
# Under the row lock: a live answer, or a late one whose slot was just taken again.
_SUBMIT_WRITE_LOCKED = _SUBMIT_WRITE_SQL.format(statuses="'live', 'expired'")
# Without a lock: only while the assignment is still live, which the UPDATE re-checks on the row.
_SUBMIT_WRITE_LIVE = _SUBMIT_WRITE_SQL.format(statuses="'live'")


@dataclass(frozen=True)
class _Held:
    """An assignment as submit reads it (raw SQL: JSON columns arrive as text)."""

    status: str
    stored: Any
    stored_key: str
    submitted_at: datetime | None
    claimed_at: datetime
    expires_at: datetime
    is_gold: bool
    task_id: int
    data: Any
    template_type: str
    label_config: Any

    @classmethod
    def from_row(cls, row, *, parsed: bool) -> _Held:
        held = cls(*row)
        if parsed:
            return held
        return cls(
            *row[:1],
            json.loads(held.stored) if held.stored is not None else None,
            *row[2:8],
            json.loads(held.data),
            held.template_type,
            json.loads(held.label_config),
        )

    def clean(self, answer: Any) -> Any:
        try:
            return task_type(self.template_type).clean_answer(
                answer, config=self.label_config, data=self.data
            )
        except ValidationProblem as problem:
            raise AnswerInvalid(str(problem), errors=problem.errors) from None


def _duration_ms(held: _Held, now: datetime) -> int:
    return min(max(0, int((now - held.claimed_at) / timedelta(milliseconds=1))), 2**31 - 1)


def _write_params(assignment_id: int, held: _Held, cleaned, now: datetime, key: str) -> dict:
    return {
        "id": assignment_id,
        "answer": json.dumps(cleaned),
        "now": now,
        "duration": _duration_ms(held, now),
        "key": key,
        "shard": random.randrange(ProjectCounter.SHARDS),  # noqa: S311 - spreads row locks
    }


def assignment_submit(
    *,
    worker: User,
    assignment_id: int,
    answer: Any,
    submit_key: str | None = None,
    now: datetime | None = None,
) -> SubmitResult:
    """Record the worker's answer to their own assignment.

    - Someone else's or a missing assignment: AssignmentNotFound (the id is not revealed).
    - Already submitted: the stored result again when the ``submit_key`` or the answer match
      (a retried request), AlreadySubmitted otherwise.
    - Live (even past its lease, as long as the sweeper has not released it): saved.
    - Expired and released: saved if the task still has a free slot (taken again), otherwise
      LeaseExpired and nothing is stored.
    - Skipped or returned: refused.
    The answer is validated against the project's template before anything is written.

    The common case (a live assignment) takes two statements and no explicit transaction: a
    read, then one write that re-checks ``status = 'live'`` on the row it updates (so a parallel
    submit or the expiry sweeper in between makes it write nothing). Every other case, and a
    write that found the row changed, is decided under the row lock by ``_submit_locked``.
    """
    _require_worker(worker)
    now = now or timezone.now()
    submit_key = (submit_key or "")[:64]
    if not allocation_portable.portable():
        with connection.cursor() as cursor:
            cursor.execute(_SUBMIT_PEEK, {"id": assignment_id, "worker": worker.pk})
            row = cursor.fetchone()
            if row is None:
                raise AssignmentNotFound("No such assignment.")
            held = _Held.from_row(row, parsed=False)
            if held.status == AssignmentStatus.LIVE:
                cleaned = held.clean(answer)
                params = _write_params(assignment_id, held, cleaned, now, submit_key)
                cursor.execute(_SUBMIT_WRITE_LIVE, params)
                written = cursor.fetchone()
                if written is not None:
                    _after_submit(assignment_id, project_id=written[0], worker_id=worker.pk)
                    return SubmitResult(assignment_id, now, now > held.expires_at)
    return _submit_locked(
        worker=worker, assignment_id=assignment_id, answer=answer, key=submit_key, now=now
    )


def _after_submit(assignment_id: int, *, project_id: int, worker_id: int) -> None:
    transaction.on_commit(  # quality rules and aggregation, in the background
        partial(submission_recorded, project_id=project_id, worker_id=worker_id)
    )


@transaction.atomic
def _submit_locked(
    *, worker: User, assignment_id: int, answer: Any, key: str, now: datetime
) -> SubmitResult:
    """``assignment_submit`` under the assignment's row lock (then the task's, for a late
    answer that takes its slot again)."""
    portable = allocation_portable.portable()
    with connection.cursor() as cursor:
        if portable:
            row = allocation_portable.read_for_submit(
                assignment_id=assignment_id, worker_id=worker.pk
            )
        else:
            cursor.execute(_SUBMIT_LOCK, {"id": assignment_id, "worker": worker.pk})
            row = cursor.fetchone()
        if row is None:
            raise AssignmentNotFound("No such assignment.")
        held = _Held.from_row(row, parsed=portable)
        if held.status == AssignmentStatus.SUBMITTED:
            late = held.submitted_at > held.expires_at
            if (key and key == held.stored_key) or held.clean(answer) == held.stored:
                return SubmitResult(assignment_id, held.submitted_at, late, True)
            raise AlreadySubmitted("This assignment was already submitted with another answer.")
        if held.status in (AssignmentStatus.SKIPPED, AssignmentStatus.RETURNED):
            raise AllocationError(f"You {held.status} this task; it can no longer be submitted.")
        cleaned = held.clean(answer)
        if held.status == AssignmentStatus.EXPIRED and not held.is_gold:
            if portable:
                retaken = allocation_portable.retake_slot(task_id=held.task_id)
            else:
                cursor.execute(_RETAKE_SLOT_SQL, {"task": held.task_id})
                retaken = cursor.fetchone() is not None
            if not retaken:
                raise LeaseExpired(
                    "Your time for this task ran out and it was given to another worker, so "
                    "this answer was not saved."
                )
        if portable:
            written = allocation_portable.write_submit(
                assignment_id=assignment_id,
                answer=cleaned,
                now=now,
                duration=_duration_ms(held, now),
                key=key,
            )
            project_id = (
                Assignment.objects.filter(pk=assignment_id).values_list("project_id", flat=True)
            ).first()
        else:
            cursor.execute(
                _SUBMIT_WRITE_LOCKED, _write_params(assignment_id, held, cleaned, now, key)
            )
            found = cursor.fetchone()
            written, project_id = found is not None, found and found[0]
        if not written:  # the row lock makes this unreachable; keep it loud
            raise AllocationError("The assignment changed while saving; try again.")
    _after_submit(assignment_id, project_id=project_id, worker_id=worker.pk)
    return SubmitResult(assignment_id, now, now > held.expires_at)


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
    if allocation_portable.portable():
        allocation_portable.release_slots(per_task)
        return
    ids = sorted(per_task)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {_task} WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
            [ids],
        )
        cursor.execute(
            f"""UPDATE {_task} t SET slots_taken = t.slots_taken - v.n
            FROM unnest(%s::bigint[], %s::int[]) AS v(id, n) WHERE t.id = v.id""",
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
"""


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
            if allocation_portable.portable():
                rows = allocation_portable.expire(now=now, limit=batch_size)
            else:
                cursor.execute(_EXPIRE_SQL, {"now": now, "limit": batch_size})
                rows = cursor.fetchall()
            _release_slots(Counter(task_id for task_id, is_gold in rows if not is_gold))
        expired += len(rows)
        if len(rows) < batch_size:
            return expired
