"""The one bridge between stored answers and ``marketplace.aggregation``: load a project's
answers, call the algorithm for its template's kind, store each task's final label and
confidence, close confident tasks early (dynamic overlap) and refresh worker quality.

Scale: a categorical project with 1,000,000 answers streams ``(task, worker, label)`` through a
server-side cursor into numpy arrays (never a model instance per answer), and writes results
with ``UPDATE … FROM unnest(…)`` in chunks of ``UPDATE_CHUNK`` rows, each its own short
transaction, so claims and submits on other tasks never wait long on a row lock. Structured
kinds (multi-label, text, spans, boxes, rating) are grouped per task in Python (their projects
are far smaller). Flow and policies: docs/quality.md.
"""

from __future__ import annotations

import itertools
import json
import logging
import random
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import F
from django.db.models.expressions import RawSQL
from django.utils import timezone

from marketplace.aggregation import METHODS, EncodedAnswers, aggregate
from marketplace.aggregation.boxes import aggregate_boxes
from marketplace.aggregation.multilabel import aggregate_multilabel
from marketplace.aggregation.numeric import aggregate_numeric
from marketplace.aggregation.spans import aggregate_spans
from marketplace.aggregation.text import aggregate_text
from marketplace.models import (
    Assignment,
    AssignmentStatus,
    Project,
    ProjectCounter,
    ReviewStatus,
    Task,
)
from marketplace.services.quality import answers_match, worker_stats_refresh
from marketplace.task_types import task_type

logger = logging.getLogger(__name__)

READ_CHUNK = 50_000
UPDATE_CHUNK = 5_000
# pg_advisory_lock(class, project id): one aggregation run per project at a time.
_LOCK_CLASS = 5005
_task = Task._meta.db_table
_project = Project._meta.db_table
_counter = ProjectCounter._meta.db_table


class AggregationError(Exception):
    """The run cannot start (unknown method); the message says why."""


class AggregationBusy(AggregationError):
    """Another run of the same project holds the lock; try again later."""


@dataclass(frozen=True)
class AggregationRun:
    project_id: int
    method: str
    kind: str
    answers: int
    tasks_labelled: int
    tasks_closed: int
    answers_saved: int
    seconds: float
    phases: dict[str, float]


@dataclass
class _Labels:
    """What an aggregation computed: per task, the JSON label and confidence; per worker (by
    user id), agreement with the final labels and the model's skill (None when it has none)."""

    task_ids: list[int]
    labels_json: list[str]
    confidence: list[float]
    answers: int
    agreement: dict[int, float]
    skill: dict[int, float]


def aggregation_method_set(*, project: Project, method: str) -> Project:
    """Choose the project's categorical aggregation method (used by every later run)."""
    if method not in METHODS:
        raise AggregationError(
            f"Unknown aggregation method {method!r}; choose one of {', '.join(sorted(METHODS))}."
        )
    Project.objects.filter(pk=project.pk).update(aggregation_method=method)
    project.aggregation_method = method
    return project


def project_aggregate(
    *, project_id: int, method: str | None = None, now: datetime | None = None
) -> AggregationRun:
    """Aggregate the project's submitted, non-rejected answers and store the final labels.

    ``method`` overrides the project's setting for this run only. Raises AggregationBusy when
    another run of the project is in progress (the caller retries later). Safe to run twice:
    rows whose label and confidence did not change are not written. The caller must not hold a
    transaction open (results are written in short transactions of their own).
    """
    started = time.monotonic()
    project = Project.objects.get(pk=project_id)
    method = method or project.aggregation_method
    if method not in METHODS:
        raise AggregationError(f"Unknown aggregation method {method!r}.")
    kind = task_type(project.template_type).aggregation_kind
    phases: dict[str, float] = {}
    clock = time.monotonic()

    def phase(name: str) -> None:
        nonlocal clock
        phases[name] = round(time.monotonic() - clock, 3)
        clock = time.monotonic()

    with _project_lock(project_id):
        if kind in ("categorical", "pairwise"):
            labels = _aggregate_categorical(project, method)
        else:
            labels = _aggregate_structured(project, kind, method)
        phase("load_and_aggregate")
        stored_method = method if kind in ("categorical", "pairwise", "multi_label") else kind
        _store_labels(project_id, labels, stored_method)
        phase("store")
        closed, saved = tasks_close_confident(project_id=project_id)
        phase("close")
        worker_stats_refresh(project=project, agreement=labels.agreement, skill=labels.skill)
        phase("worker_stats")
        Project.objects.filter(pk=project_id).update(aggregated_at=now or timezone.now())
    return AggregationRun(
        project_id=project_id,
        method=stored_method,
        kind=kind,
        answers=labels.answers,
        tasks_labelled=len(labels.task_ids),
        tasks_closed=closed,
        answers_saved=saved,
        seconds=round(time.monotonic() - started, 3),
        phases=phases,
    )


@contextmanager
def _project_lock(project_id: int):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_CLASS, project_id])
        if not cursor.fetchone()[0]:
            raise AggregationBusy("An aggregation of this project is already running.")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_CLASS, project_id])


def _answers(project_id: int):
    """The answers that count: submitted and not rejected, in a stable order."""
    return (
        Assignment.objects.filter(project_id=project_id, status=AssignmentStatus.SUBMITTED)
        .exclude(review_status=ReviewStatus.REJECTED)
        .order_by()
    )


def _chunks(rows: Iterator, size: int) -> Iterator[list]:
    while chunk := list(itertools.islice(rows, size)):
        yield chunk


# --- Categorical (and pairwise: a/b/tie per comparison) ---------------------------------------


def _vocabulary(project: Project) -> list[str]:
    if project.template_type == "pairwise":
        return ["a", "b", "tie"] if project.label_config.get("allow_tie") else ["a", "b"]
    return [str(label["value"]) for label in project.label_config.get("labels", [])]


def _aggregate_categorical(project: Project, method: str) -> _Labels:
    vocabulary = _vocabulary(project)
    label_index = {label: i for i, label in enumerate(vocabulary)}
    rows = (
        _answers(project.pk)
        .annotate(label=RawSQL("answer #>> '{}'", ()))
        .values_list("task_id", "worker_id", "label", "is_gold")
        .iterator(chunk_size=READ_CHUNK)
    )
    tasks, workers, given, gold_flags = [], [], [], []
    for chunk in _chunks(rows, READ_CHUNK):
        task_ids, worker_ids, labels, is_gold = zip(*chunk, strict=True)
        tasks.append(np.fromiter(task_ids, dtype=np.int64, count=len(chunk)))
        workers.append(np.fromiter(worker_ids, dtype=np.int64, count=len(chunk)))
        # A label outside the config (the config changed after answers came in) joins the
        # vocabulary rather than being dropped.
        given.append(
            np.fromiter(
                (label_index.setdefault(label, len(label_index)) for label in labels),
                dtype=np.int32,
                count=len(chunk),
            )
        )
        gold_flags.append(np.fromiter(is_gold, dtype=bool, count=len(chunk)))
    if not tasks:
        return _Labels([], [], [], 0, {}, {})
    task_col, worker_col = np.concatenate(tasks), np.concatenate(workers)
    label_col, gold_col = np.concatenate(given), np.concatenate(gold_flags)
    del tasks, workers, given, gold_flags
    task_ids, task_idx = np.unique(task_col, return_inverse=True)
    worker_ids, worker_idx = np.unique(worker_col, return_inverse=True)
    gold = {}
    gold_rows = Task.objects.filter(project_id=project.pk, is_gold=True).annotate(
        label=RawSQL("gold_answer #>> '{}'", ())
    )
    for task_id, label in gold_rows.values_list("id", "label").iterator(chunk_size=READ_CHUNK):
        position = int(np.searchsorted(task_ids, task_id))
        if position < len(task_ids) and task_ids[position] == task_id:
            gold[position] = label_index.setdefault(label, len(label_index))
    vocabulary = list(label_index)
    encoded = EncodedAnswers(
        task_idx=task_idx.astype(np.int32),
        worker_idx=worker_idx.astype(np.int32),
        label_idx=label_col,
        tasks=task_ids.tolist(),
        workers=worker_ids.tolist(),
        labels=vocabulary,
        gold=gold,
    )
    loaded = time.monotonic()
    result = aggregate(method, encoded, seed=0)
    logger.info(
        "Project %s: %s answers aggregated with %s in %.2f s",
        project.pk,
        task_col.shape[0],
        method,
        time.monotonic() - loaded,
    )
    labels_json = [json.dumps(label) for label in vocabulary]
    # Agreement: the share of a worker's regular answers equal to their task's final label.
    regular = ~gold_col
    matches = (result.labels[task_idx] == label_col) & regular
    answered = np.bincount(worker_idx, weights=regular, minlength=len(worker_ids))
    agreed = np.bincount(worker_idx, weights=matches, minlength=len(worker_ids))
    agreement = {
        int(worker_id): float(agreed[i] / answered[i])
        for i, worker_id in enumerate(worker_ids)
        if answered[i]
    }
    skill = {
        int(worker_id): float(result.worker_accuracy[i])
        for i, worker_id in enumerate(worker_ids)
        if np.isfinite(result.worker_accuracy[i])
    }
    return _Labels(
        task_ids=task_ids.tolist(),
        labels_json=[labels_json[label] for label in result.labels],
        confidence=[round(float(value), 6) for value in result.confidence],
        answers=int(task_col.shape[0]),
        agreement=agreement,
        skill=skill,
    )


# --- Structured kinds -------------------------------------------------------------------------


def _aggregate_structured(project: Project, kind: str, method: str) -> _Labels:
    by_task: dict[int, dict[int, Any]] = defaultdict(dict)
    rows = _answers(project.pk).filter(is_gold=False).values_list("task_id", "worker_id", "answer")
    count = 0
    for task_id, worker_id, answer in rows.iterator(chunk_size=READ_CHUNK):
        by_task[task_id][worker_id] = answer
        count += 1
    finals = _FINALISERS[kind](by_task, project, method)
    agreed: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for task_id, answers in by_task.items():
        final = finals[task_id][0]
        for worker_id, answer in answers.items():
            agreed[worker_id][0] += answers_match(kind, answer, final)
            agreed[worker_id][1] += 1
    task_ids = sorted(finals)
    return _Labels(
        task_ids=task_ids,
        labels_json=[json.dumps(finals[task_id][0]) for task_id in task_ids],
        confidence=[round(float(finals[task_id][1]), 6) for task_id in task_ids],
        answers=count,
        agreement={worker: hits / total for worker, (hits, total) in agreed.items()},
        skill={},
    )


def _records(by_task, convert=lambda answer: answer):
    return [
        (task_id, worker_id, convert(answer))
        for task_id, answers in by_task.items()
        for worker_id, answer in answers.items()
    ]


def _final_multilabel(by_task, project, method):
    order = [str(label["value"]) for label in project.label_config.get("labels", [])]
    result = aggregate_multilabel(_records(by_task), method=method)
    finals = {}
    for task_id in by_task:
        chosen = result.labels.get(str(task_id), set())
        certainty = [max(p, 1 - p) for p in result.confidence.get(str(task_id), {}).values()]
        finals[task_id] = (
            [label for label in order if label in chosen] + sorted(chosen - set(order)),
            min(certainty, default=1.0),
        )
    return finals


def _final_numeric(by_task, project, method):
    result = aggregate_numeric(_records(by_task))
    finals = {}
    for task_id in by_task:
        value = result.values[str(task_id)]
        finals[task_id] = (
            int(value) if float(value).is_integer() else value,
            result.confidence[str(task_id)],
        )
    return finals


def _final_text(by_task, project, method):
    result = aggregate_text(_records(by_task))
    return {
        task_id: (result.answers[str(task_id)], result.confidence[str(task_id)])
        for task_id in by_task
    }


def _by_label(by_task, to_shape):
    """Per label: (task, worker, [shapes of that label]); every worker votes on every label."""
    labels = {
        item["label"]
        for answers in by_task.values()
        for answer in answers.values()
        for item in answer
    }
    for label in sorted(labels):
        yield (
            label,
            [
                (task_id, worker_id, [to_shape(item) for item in answer if item["label"] == label])
                for task_id, answers in by_task.items()
                for worker_id, answer in answers.items()
            ],
        )


def _empty_share(answers: dict) -> float:
    """Confidence of an empty final answer: the share of workers who marked nothing."""
    return sum(1 for answer in answers.values() if not answer) / len(answers)


def _final_spans(by_task, project, method):
    found: dict[str, list] = defaultdict(list)
    for label, records in _by_label(by_task, lambda item: (item["start"], item["end"])):
        for task, spans in aggregate_spans(records).spans.items():
            found[task] += [
                ({"start": s, "end": e, "label": label}, share) for s, e, share in spans
            ]
    finals = {}
    for task_id, answers in by_task.items():
        items = sorted(found.get(str(task_id), []), key=lambda x: (x[0]["start"], x[0]["end"]))
        confidence = (
            sum(share for _, share in items) / len(items) if items else _empty_share(answers)
        )
        finals[task_id] = ([item for item, _ in items], confidence)
    return finals


def _final_boxes(by_task, project, method):
    def corners(item):
        return (item["x"], item["y"], item["x"] + item["width"], item["y"] + item["height"])

    found: dict[str, list] = defaultdict(list)
    for label, records in _by_label(by_task, corners):
        for task, boxes in aggregate_boxes(records).boxes.items():
            found[task] += [
                (
                    {"x": x1, "y": y1, "width": x2 - x1, "height": y2 - y1, "label": label},
                    share,
                )
                for (x1, y1, x2, y2), share in boxes
            ]
    finals = {}
    for task_id, answers in by_task.items():
        items = found.get(str(task_id), [])
        confidence = (
            sum(share for _, share in items) / len(items) if items else _empty_share(answers)
        )
        finals[task_id] = ([item for item, _ in items], confidence)
    return finals


_FINALISERS = {
    "multi_label": _final_multilabel,
    "numeric": _final_numeric,
    "text": _final_text,
    "spans": _final_spans,
    "boxes": _final_boxes,
}


# --- Storing and dynamic overlap --------------------------------------------------------------

_STORE_SQL = f"""
UPDATE {_task} t
SET final_label = v.label::jsonb, confidence = v.confidence, aggregation_method = %(method)s
FROM unnest(%(ids)s::bigint[], %(labels)s::text[], %(confidence)s::float8[])
     AS v(id, label, confidence)
WHERE t.id = v.id AND t.project_id = %(project)s
  AND (t.final_label IS DISTINCT FROM v.label::jsonb
       OR t.confidence IS DISTINCT FROM v.confidence
       OR t.aggregation_method <> %(method)s)
"""

# A regular task whose answers were all rejected since the last run has no final label.
_CLEAR_SQL = f"""
UPDATE {_task} SET final_label = NULL, confidence = NULL, aggregation_method = ''
WHERE project_id = %(project)s AND answers_count = 0 AND NOT is_gold
  AND final_label IS NOT NULL
"""


def _store_labels(project_id: int, labels: _Labels, method: str) -> None:
    for start in range(0, len(labels.task_ids), UPDATE_CHUNK):
        end = start + UPDATE_CHUNK
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                _STORE_SQL,
                {
                    "project": project_id,
                    "method": method,
                    "ids": labels.task_ids[start:end],
                    "labels": labels.labels_json[start:end],
                    "confidence": labels.confidence[start:end],
                },
            )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_CLEAR_SQL, {"project": project_id})


# Close open regular tasks that have the minimum answers and the target confidence. Only tasks
# with no live assignment (slots_taken = answers_count): lowering the overlap below a live
# claim would break ``task_slots_within_overlap``; such a task is closed by a later run.
# SKIP LOCKED leaves tasks a claim or submit holds right now to the next run.
_CLOSE_SQL = f"""
WITH candidate AS (
    SELECT t.id, t.overlap AS wanted
    FROM {_task} t JOIN {_project} p ON p.id = t.project_id
    WHERE t.project_id = %(project)s AND t.status = 'open' AND NOT t.is_gold
      AND t.id > %(after)s
      AND t.answers_count >= p.overlap_min AND t.answers_count < t.overlap
      AND t.slots_taken = t.answers_count
      AND t.confidence >= p.confidence_target
    ORDER BY t.id
    LIMIT %(limit)s
    FOR UPDATE OF t SKIP LOCKED
)
UPDATE {_task} t SET status = 'complete', overlap = t.answers_count
FROM candidate c WHERE t.id = c.id
RETURNING t.id, c.wanted - t.answers_count
"""

_COUNT_CLOSED_SQL = f"""
INSERT INTO {_counter} AS pc (project_id, shard, tasks_completed, answers, gold_answers)
VALUES (%(project)s, %(shard)s, %(closed)s, 0, 0)
ON CONFLICT (project_id, shard) DO UPDATE SET tasks_completed = pc.tasks_completed + %(closed)s
"""


def tasks_close_confident(*, project_id: int) -> tuple[int, int]:
    """Dynamic overlap: stop collecting answers for tasks that are already sure enough.

    A task closes (status complete, ``overlap`` lowered to its answer count) once it has at
    least the project's ``overlap_min`` answers and its stored confidence reaches
    ``confidence_target``; tasks reaching ``overlap_max`` close on submit as before. Counts the
    closed tasks as completed and adds the answers not collected to ``Project.answers_saved``,
    in the same transaction. Returns ``(tasks closed, answers saved)``.
    """
    closed_total = saved_total = after = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                _CLOSE_SQL, {"project": project_id, "limit": UPDATE_CHUNK, "after": after}
            )
            rows = cursor.fetchall()
            saved = [row[1] for row in rows]
            # Keyset: the next chunk starts after the highest id looked at (ids come in order).
            after = max((row[0] for row in rows), default=after)
            if saved:
                cursor.execute(
                    _COUNT_CLOSED_SQL,
                    {
                        "project": project_id,
                        "shard": random.randrange(ProjectCounter.SHARDS),  # noqa: S311
                        "closed": len(saved),
                    },
                )
                Project.objects.filter(pk=project_id).update(
                    answers_saved=F("answers_saved") + sum(saved)
                )
        closed_total += len(saved)
        saved_total += sum(saved)
        if len(saved) < UPDATE_CHUNK:
            return closed_total, saved_total
