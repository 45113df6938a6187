"""Dynamic overlap: stop collecting answers for tasks whose label is settled.

A task closes (status complete, ``overlap`` lowered to its answer count) once it has at least
the project's ``overlap_min`` answers and its stop confidence reaches the project's
``confidence_target``; tasks reaching ``overlap_max`` close on submit as before. For categorical
answers the stop confidence is the vote-margin confidence of
``marketplace.aggregation.overlap`` (target 0.95 = the leading label 3 votes ahead), the rule
``bench/dynamic_overlap.py`` replays; for other kinds it is the final answer's confidence.
"""

from __future__ import annotations

import random

from django.db import connection, transaction
from django.db.models import F

from marketplace.aggregation.overlap import settled_confidence
from marketplace.models import Project, ProjectCounter, Task
from marketplace.services.aggregation_labels import UPDATE_CHUNK, Labels

_task = Task._meta.db_table
_project = Project._meta.db_table
_counter = ProjectCounter._meta.db_table

# Close the given open regular tasks that have the minimum answers. Only tasks with no live
# assignment (slots_taken = answers_count): lowering the overlap below a live claim would break
# ``task_slots_within_overlap``; such a task is closed by a later run. SKIP LOCKED leaves tasks
# a claim or submit holds right now to the next run.
_CLOSE_SQL = f"""
WITH candidate AS (
    SELECT t.id, t.overlap AS wanted
    FROM {_task} t JOIN {_project} p ON p.id = t.project_id
    WHERE t.project_id = %(project)s AND t.id = ANY(%(ids)s::bigint[])
      AND t.status = 'open' AND NOT t.is_gold
      AND t.answers_count >= p.overlap_min AND t.answers_count < t.overlap
      AND t.slots_taken = t.answers_count
    FOR UPDATE OF t SKIP LOCKED
)
UPDATE {_task} t SET status = 'complete', overlap = t.answers_count
FROM candidate c WHERE t.id = c.id
RETURNING c.wanted - t.answers_count
"""  # nosec B608 # our table names and constant SQL; values are parameters

_COUNT_CLOSED_SQL = f"""
INSERT INTO {_counter} AS pc (project_id, shard, tasks_completed, answers, gold_answers)
VALUES (%(project)s, %(shard)s, %(closed)s, 0, 0)
ON CONFLICT (project_id, shard) DO UPDATE SET tasks_completed = pc.tasks_completed + %(closed)s
"""  # nosec B608 # our table names and constant SQL; values are parameters


def tasks_close_confident(*, project: Project, labels: Labels) -> tuple[int, int]:
    """Close the tasks of ``labels`` (just computed for ``project``) that are settled.

    Counts the closed tasks as completed and adds the answers not collected to
    ``Project.answers_saved``, in the same transaction as each chunk of closures. Returns
    ``(tasks closed, answers saved)``. The caller holds the project's aggregation lock.
    """
    target = settled_confidence(project.confidence_target)
    settled = [
        task_id
        for task_id, confidence in zip(labels.task_ids, labels.stop_confidence, strict=True)
        if confidence >= target
    ]
    closed_total = saved_total = 0
    for start in range(0, len(settled), UPDATE_CHUNK):
        ids = settled[start : start + UPDATE_CHUNK]
        with transaction.atomic():
            saved = _close_and_count(project_id=project.pk, task_ids=ids)
            if saved:
                Project.objects.filter(pk=project.pk).update(
                    answers_saved=F("answers_saved") + sum(saved)
                )
        closed_total += len(saved)
        saved_total += sum(saved)
    return closed_total, saved_total


def _close_and_count(*, project_id: int, task_ids: list[int]) -> list[int]:
    """Close the settled tasks and count them, in the caller's transaction; per
    closed task, the answers it will not collect."""
    with connection.cursor() as cursor:
        cursor.execute(_CLOSE_SQL, {"project": project_id, "ids": task_ids})
        saved = [row[0] for row in cursor.fetchall()]
        if saved:
            cursor.execute(
                _COUNT_CLOSED_SQL,
                {
                    "project": project_id,
                    "shard": random.randrange(ProjectCounter.SHARDS),  # noqa: S311
                    "closed": len(saved),
                },
            )
    return saved
