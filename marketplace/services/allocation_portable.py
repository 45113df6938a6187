"""Allocation statements for databases other than PostgreSQL: the embedded SQLite demo.

The PostgreSQL statements in ``assignments.py`` rely on ``FOR UPDATE SKIP LOCKED``,
data-modifying CTEs and arrays. SQLite has none of these, but it also has one writer at a time:
a write transaction holds the whole database, so the plain read-then-write below cannot race.
The rules are the same (one assignment per task and worker, slots within the overlap, gold at
most once per worker, blocks refused); the database constraints still back them. Tests run
these functions on PostgreSQL too (``ALLOCATION_PORTABLE_SQL``), sequentially.
"""

import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import F

from marketplace.models import (
    Assignment,
    AssignmentStatus,
    Project,
    ProjectBlock,
    ProjectCounter,
    ProjectStatus,
    Task,
    TaskStatus,
)


def portable() -> bool:
    return connection.vendor != "postgresql" or getattr(settings, "ALLOCATION_PORTABLE_SQL", False)


def claim(*, worker_id: int, project_id: int, now: datetime, gold_first: bool):
    """Caller holds a transaction. Returns (assignment, task, project) or None."""
    project = Project.objects.filter(pk=project_id, status=ProjectStatus.ACTIVE).first()
    if (
        project is None
        or ProjectBlock.objects.filter(project_id=project_id, worker_id=worker_id).exists()
    ):
        return None
    had = Assignment.objects.filter(worker_id=worker_id, project_id=project_id).values("task_id")
    open_tasks = Task.objects.filter(project_id=project_id, status=TaskStatus.OPEN).exclude(
        id__in=had
    )
    regular = open_tasks.filter(is_gold=False, slots_taken__lt=F("overlap")).order_by(
        "-slots_taken", "id"
    )
    task = None
    if gold_first and regular.exists():
        gold_ids = list(open_tasks.filter(is_gold=True).values_list("id", flat=True)[:500])
        if gold_ids:
            task = Task.objects.get(pk=random.choice(gold_ids))  # noqa: S311 - a mix
    if task is None:
        task = regular.first()
        if task is None:
            return None
        Task.objects.filter(pk=task.pk).update(slots_taken=F("slots_taken") + 1)
    assignment = Assignment.objects.create(
        task=task,
        worker_id=worker_id,
        project=project,
        is_gold=task.is_gold,
        status=AssignmentStatus.LIVE,
        claimed_at=now,
        expires_at=now + timedelta(seconds=project.time_limit_seconds),
    )
    return assignment, task, project


def read_for_submit(*, assignment_id: int, worker_id: int) -> tuple[Any, ...] | None:
    """The same fields, parsed, as the PostgreSQL read in ``assignments.py``."""
    assignment = (
        Assignment.objects.select_related("task", "project")
        .filter(pk=assignment_id, worker_id=worker_id)
        .first()
    )
    if assignment is None:
        return None
    return (
        assignment.status,
        assignment.answer,
        assignment.submit_key,
        assignment.submitted_at,
        assignment.claimed_at,
        assignment.expires_at,
        assignment.is_gold,
        assignment.task_id,
        assignment.task.data,
        assignment.project.template_type,
        assignment.project.label_config,
    )


def retake_slot(*, task_id: int) -> bool:
    return bool(
        Task.objects.filter(
            pk=task_id, status=TaskStatus.OPEN, slots_taken__lt=F("overlap")
        ).update(slots_taken=F("slots_taken") + 1)
    )


def write_submit(
    *, assignment_id: int, answer: Any, now: datetime, duration: int, key: str
) -> bool:
    """Store the answer and count it on the task and a counter shard."""
    assignment = Assignment.objects.filter(
        pk=assignment_id, status__in=[AssignmentStatus.LIVE, AssignmentStatus.EXPIRED]
    ).first()
    if assignment is None:
        return False
    Assignment.objects.filter(pk=assignment_id).update(
        status=AssignmentStatus.SUBMITTED,
        answer=answer,
        submitted_at=now,
        duration_ms=duration,
        submit_key=key,
        released_at=None,
    )
    completed = 0
    if not assignment.is_gold:
        task = Task.objects.get(pk=assignment.task_id)
        answers = task.answers_count + 1
        completed = int(answers >= task.overlap and task.status == TaskStatus.OPEN)
        Task.objects.filter(pk=task.pk).update(
            answers_count=answers,
            status=TaskStatus.COMPLETE if answers >= task.overlap else task.status,
        )
    counter, _ = ProjectCounter.objects.get_or_create(
        project_id=assignment.project_id,
        shard=random.randrange(ProjectCounter.SHARDS),  # noqa: S311
    )
    ProjectCounter.objects.filter(pk=counter.pk).update(
        tasks_completed=F("tasks_completed") + completed,
        answers=F("answers") + (0 if assignment.is_gold else 1),
        gold_answers=F("gold_answers") + (1 if assignment.is_gold else 0),
    )
    return True


def release_slots(per_task: Counter) -> None:
    for task_id in sorted(per_task):
        Task.objects.filter(pk=task_id).update(slots_taken=F("slots_taken") - per_task[task_id])


def expire(*, now: datetime, limit: int) -> list[tuple[int, bool]]:
    """Caller holds a transaction. Expires a batch; returns (task_id, is_gold) per assignment."""
    due = list(
        Assignment.objects.filter(status=AssignmentStatus.LIVE, expires_at__lte=now)
        .order_by("expires_at")
        .values_list("id", "task_id", "is_gold")[:limit]
    )
    Assignment.objects.filter(pk__in=[row[0] for row in due], status=AssignmentStatus.LIVE).update(
        status=AssignmentStatus.EXPIRED, released_at=now
    )
    return [(task_id, is_gold) for _, task_id, is_gold in due]
