"""Aggregation and worker-quality statements for databases other than PostgreSQL: the embedded
SQLite demo.

The PostgreSQL statements next door rely on advisory locks (``aggregation``), ``#>>`` on jsonb
(``aggregation_categorical``), ``UPDATE … FROM unnest(arrays)`` and ``IS DISTINCT FROM``
(``aggregation_labels``), ``= ANY(array)``, ``FOR UPDATE SKIP LOCKED``, ``UPDATE … RETURNING``
and ``INSERT … ON CONFLICT`` with increments (``dynamic_overlap``), ``count(*) FILTER``,
``percentile_disc`` and an array upsert (``quality``). Here the same results come from the ORM
and Python, sized for the demo (thousands of answers, not millions).

SQLite has one writer at a time: a write transaction holds the whole database, so the
read-then-write steps below cannot interleave with another writer, and the advisory lock that
keeps two runs of a project apart on PostgreSQL is a no-op. Tests run these functions on
PostgreSQL too (``AGGREGATION_PORTABLE_SQL``), sequentially, and compare their results with the
PostgreSQL path on the same data.
"""

from __future__ import annotations

import json
import random
import statistics
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F

from marketplace.models import (
    Assignment,
    AssignmentStatus,
    Project,
    ProjectCounter,
    Task,
    TaskStatus,
    WorkerProjectStats,
)

UPDATE_BATCH = 500  # rows per bulk_update statement (SQLite caps the bound parameters)


def portable() -> bool:
    return connection.vendor != "postgresql" or getattr(settings, "AGGREGATION_PORTABLE_SQL", False)


@contextmanager
def project_lock(project_id: int):
    """No lock. SQLite takes one writer at a time, and the demo runs aggregation inline (eager
    Celery) in the request that triggers it. Two runs at once (two requests) would each write
    the labels they computed, chunk by chunk; every run rewrites from all the answers, so the
    next one settles any mix."""
    yield


# --- Reading answers ----------------------------------------------------------------------


def _as_text(value: Any) -> str | None:
    """A JSON value as PostgreSQL's ``#>> '{}'`` gives it: a string as itself, null as None,
    anything else as its JSON text."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


def with_text_label(rows: Iterable[tuple], position: int) -> Iterator[tuple]:
    """``rows`` with the JSON value at ``position`` turned into its text (see ``_as_text``)."""
    for row in rows:
        yield (*row[:position], _as_text(row[position]), *row[position + 1 :])


# --- Storing labels -----------------------------------------------------------------------


def labels_store(
    *,
    project_id: int,
    method: str,
    task_ids: list[int],
    labels_json: list[str],
    confidence: list[float],
) -> None:
    """One chunk of final labels; writes only the rows whose label, confidence or method
    changed (the PostgreSQL statement's ``IS DISTINCT FROM``), with ``bulk_update``."""
    wanted = {
        task_id: (json.loads(label), value)
        for task_id, label, value in zip(task_ids, labels_json, confidence, strict=True)
    }
    current = Task.objects.filter(project_id=project_id, pk__in=task_ids).values_list(
        "pk", "final_label", "confidence", "aggregation_method"
    )
    changed = [
        Task(pk=pk, final_label=wanted[pk][0], confidence=wanted[pk][1], aggregation_method=method)
        for pk, label, value, stored_method in current
        if (label, value, stored_method) != (*wanted[pk], method)
    ]
    with transaction.atomic():
        Task.objects.bulk_update(
            changed, ["final_label", "confidence", "aggregation_method"], batch_size=UPDATE_BATCH
        )


def labels_clear(*, project_id: int) -> None:
    """A regular task whose answers were all rejected since the last run has no final label."""
    Task.objects.filter(
        project_id=project_id, answers_count=0, is_gold=False, final_label__isnull=False
    ).update(final_label=None, confidence=None, aggregation_method="")


# --- Dynamic overlap ----------------------------------------------------------------------


def tasks_close(*, project: Project, task_ids: list[int]) -> list[int]:
    """Close the given settled tasks on the PostgreSQL statement's conditions; per closed task,
    the answers it will not collect. Caller holds a transaction. Each update re-checks the
    conditions, so a task a claim took meanwhile is left to a later run."""
    conditions = {
        "project_id": project.pk,
        "status": TaskStatus.OPEN,
        "is_gold": False,
        "answers_count__gte": project.overlap_min,
        "answers_count__lt": F("overlap"),
        "slots_taken": F("answers_count"),
    }
    candidates = Task.objects.filter(pk__in=task_ids, **conditions).values_list(
        "pk", "overlap", "answers_count"
    )
    saved = []
    for pk, wanted, answers in list(candidates):
        closed = Task.objects.filter(pk=pk, answers_count=answers, **conditions).update(
            status=TaskStatus.COMPLETE, overlap=answers
        )
        if closed:
            saved.append(wanted - answers)
    return saved


def tasks_completed_count(*, project_id: int, closed: int) -> None:
    """Count closed tasks as completed on a random counter shard. Caller holds a transaction."""
    counter, _ = ProjectCounter.objects.get_or_create(
        project_id=project_id,
        shard=random.randrange(ProjectCounter.SHARDS),  # noqa: S311 - spreads writes
    )
    ProjectCounter.objects.filter(pk=counter.pk).update(
        tasks_completed=F("tasks_completed") + closed
    )


# --- Worker figures -----------------------------------------------------------------------


def worker_figures(*, project_id: int, worker_ids: list[int] | None) -> list[tuple]:
    """Per worker with submitted answers: (worker id, regular answers, gold answers, gold
    answers equal to the gold answer, lower median duration in ms), as the PostgreSQL query.
    Decoded JSON compares like jsonb (object keys in any order, arrays in order)."""
    answers = Assignment.objects.filter(project_id=project_id, status=AssignmentStatus.SUBMITTED)
    if worker_ids is not None:
        answers = answers.filter(worker_id__in=worker_ids)
    figures: dict[int, list] = {}
    rows = answers.values_list("worker_id", "is_gold", "answer", "task__gold_answer", "duration_ms")
    for worker_id, is_gold, answer, gold, duration in rows.iterator():
        entry = figures.setdefault(worker_id, [0, 0, 0, []])
        entry[1 if is_gold else 0] += 1
        if is_gold and gold is not None and answer == gold:
            entry[2] += 1
        if duration is not None:
            entry[3].append(duration)
    # percentile_disc(0.5) is the lower median of the non-null values.
    return [
        (worker_id, regular, gold, correct, statistics.median_low(durations) if durations else None)
        for worker_id, (regular, gold, correct, durations) in figures.items()
    ]


_STATS_FIELDS = {  # model field: column of ``quality.worker_stats_refresh``
    "answers": "answers",
    "gold_answers": "gold",
    "gold_correct": "correct",
    "gold_accuracy_low": "low",
    "gold_accuracy_high": "high",
    "agreement": "agreement",
    "skill": "skill",
    "median_duration_ms": "median",
}


def worker_stats_upsert(*, project_id: int, columns: dict[str, list], now: datetime) -> None:
    """Insert or update one stats row per worker in ``columns``; an agreement or skill of None
    keeps the stored one (the PostgreSQL upsert's ``COALESCE``)."""
    with transaction.atomic():
        stored = {
            worker_id: (agreement, skill)
            for worker_id, agreement, skill in WorkerProjectStats.objects.filter(
                project_id=project_id, worker_id__in=columns["workers"]
            ).values_list("worker_id", "agreement", "skill")
        }
        rows = []
        for index, worker_id in enumerate(columns["workers"]):
            values = {field: columns[key][index] for field, key in _STATS_FIELDS.items()}
            kept_agreement, kept_skill = stored.get(worker_id, (None, None))
            if values["agreement"] is None:
                values["agreement"] = kept_agreement
            if values["skill"] is None:
                values["skill"] = kept_skill
            rows.append(
                WorkerProjectStats(
                    project_id=project_id, worker_id=worker_id, updated_at=now, **values
                )
            )
        WorkerProjectStats.objects.bulk_create(
            rows,
            batch_size=UPDATE_BATCH,
            update_conflicts=True,
            unique_fields=["project", "worker"],
            update_fields=[*_STATS_FIELDS, "updated_at"],
        )
