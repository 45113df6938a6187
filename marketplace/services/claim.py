"""Claim: hand the worker the next task as one SQL statement (docs/allocation.md)."""

from __future__ import annotations

import json
import random
import time
from contextlib import nullcontext
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import User
from marketplace.eligibility import eligible_project_ids, ensure_eligible
from marketplace.models import Project, ProjectStatus
from marketplace.services.allocation_common import (
    CLAIM_ATTEMPTS,
    GOLD_RATIO_TTL_SECONDS,
    ClaimedTask,
    ProjectNotAvailable,
    _assignment,
    _project,
    _require_worker,
    _task,
    _user,
)

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
"""  # nosec B608 # our table names and constant SQL; values are parameters

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
                WHERE ra.task_id = r.id AND ra.worker_id = %(worker)s))"""  # nosec B608 # our table names and constant SQL; values are parameters

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
  -- The claim's own conditions too: otherwise a paused project or a deactivated worker would
  -- look "busy" and spin through every retry before the answer "nothing".
  AND EXISTS (SELECT 1 FROM {_project} p WHERE p.id = %(project)s AND p.status = 'active')
  AND EXISTS (
      SELECT 1 FROM {_user} u WHERE u.id = %(worker)s AND u.is_active AND u.role = 'worker')
LIMIT 1
"""  # nosec B608 # our table names and constant SQL; values are parameters
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
