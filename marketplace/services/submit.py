"""Submit: take the worker's answer back, exactly once (docs/allocation.md)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from marketplace.models import AssignmentStatus, ProjectCounter
from marketplace.services.aggregation_schedule import submission_recorded
from marketplace.services.allocation_common import (
    AllocationError,
    AlreadySubmitted,
    AnswerInvalid,
    AssignmentNotFound,
    LeaseExpired,
    SubmitResult,
    _assignment,
    _counter,
    _project,
    _require_worker,
    _task,
)
from marketplace.task_types import ValidationProblem, task_type

# --- Submit -----------------------------------------------------------------------------------

_SUBMIT_READ_SQL = f"""
SELECT a.status, a.answer, a.submit_key, a.submitted_at, a.claimed_at, a.expires_at, a.is_gold,
       a.task_id, t.data, p.template_type, p.label_config
FROM {_assignment} a
JOIN {_task} t ON t.id = a.task_id
JOIN {_project} p ON p.id = a.project_id
WHERE a.id = %(id)s AND a.worker_id = %(worker)s
{{lock}}
"""  # nosec B608 # our table names and constant SQL; values are parameters
_SUBMIT_PEEK = _SUBMIT_READ_SQL.format(lock="")
_SUBMIT_LOCK = _SUBMIT_READ_SQL.format(lock="FOR UPDATE OF a")

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
"""  # nosec B608 # our table names and constant SQL; values are parameters
# Only while the assignment is live, which the UPDATE re-checks on the row it writes: with or
# without the row lock, an assignment the sweeper expired is never written.
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
    def from_row(cls, row) -> _Held:
        held = cls(*row)
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


def _read(cursor, sql: str, *, assignment_id: int, worker: User) -> _Held:
    """The worker's own assignment through ``sql`` (peek or lock), or AssignmentNotFound."""
    cursor.execute(sql, {"id": assignment_id, "worker": worker.pk})
    row = cursor.fetchone()
    if row is None:
        raise AssignmentNotFound("No such assignment.")
    return _Held.from_row(row)


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
    - Expired and released by the sweeper: LeaseExpired and nothing is stored — for gold and
      regular tasks alike. (Keeping a late regular answer only while its task had a free slot,
      and a late gold answer always, told gold apart: docs/security.md.)
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
    with connection.cursor() as cursor:
        held = _read(cursor, _SUBMIT_PEEK, assignment_id=assignment_id, worker=worker)
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
    """``assignment_submit`` under the assignment's row lock: decide a retry, a refusal or
    (a live assignment whose unlocked write lost a race) the write."""
    with connection.cursor() as cursor:
        held = _read(cursor, _SUBMIT_LOCK, assignment_id=assignment_id, worker=worker)
        if held.status == AssignmentStatus.SUBMITTED:
            late = held.submitted_at > held.expires_at
            if (key and key == held.stored_key) or held.clean(answer) == held.stored:
                return SubmitResult(assignment_id, held.submitted_at, late, True)
            raise AlreadySubmitted("This assignment was already submitted with another answer.")
        if held.status in (AssignmentStatus.SKIPPED, AssignmentStatus.RETURNED):
            raise AllocationError(f"You {held.status} this task; it can no longer be submitted.")
        if held.status == AssignmentStatus.EXPIRED:
            raise LeaseExpired(
                "Your time for this task ran out and it was given back, so this answer was not "
                "saved."
            )
        cleaned = held.clean(answer)
        cursor.execute(_SUBMIT_WRITE_LIVE, _write_params(assignment_id, held, cleaned, now, key))
        found = cursor.fetchone()
        written, project_id = found is not None, found and found[0]
        if not written:  # the row lock makes this unreachable; keep it loud
            raise AllocationError("The assignment changed while saving; try again.")
    _after_submit(assignment_id, project_id=project_id, worker_id=worker.pk)
    return SubmitResult(assignment_id, now, now > held.expires_at)
