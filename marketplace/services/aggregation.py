"""The bridge between stored answers and ``marketplace.aggregation``: load a project's answers,
call the algorithm for its template's kind, store each task's final label and confidence, close
settled tasks early (dynamic overlap) and refresh worker quality.

The pieces live next to this module: ``aggregation_categorical`` (categorical and pairwise,
streamed into numpy arrays), ``aggregation_structured`` (multi-label, rating, text, spans,
boxes), ``aggregation_labels`` (reading answers, storing labels in chunked short transactions)
and ``dynamic_overlap`` (closing settled tasks). Flow and policies: docs/quality.md and
docs/aggregation.md.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from config.errors import DomainError
from marketplace.aggregation import METHODS
from marketplace.models import Project, ProjectCounter, ProjectStatus
from marketplace.services.aggregation_categorical import aggregate_categorical
from marketplace.services.aggregation_labels import (
    READ_CHUNK,
    UPDATE_CHUNK,
    Labels,
    labels_store,
)
from marketplace.services.aggregation_structured import aggregate_structured
from marketplace.services.dynamic_overlap import tasks_close_confident
from marketplace.services.worker_stats import worker_stats_refresh
from marketplace.task_types import task_type

# pg_advisory_lock(class, project id): one aggregation run per project at a time.
_LOCK_CLASS = 5005


class AggregationError(DomainError):
    """The run cannot start (unknown method); the message says why."""

    code, http_status = "invalid", 400


class AggregationBusy(AggregationError):
    """Another run of the same project holds the lock; try again later."""

    code, http_status = "aggregation_busy", 409


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
    # Counted before the answers are read, so an answer submitted during the run moves the
    # counters past the mark and the periodic sweep (projects_needing_aggregation) runs again.
    marked_at = now or timezone.now()
    counted_before = _counted_answers_now(project_id)
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
            labels = aggregate_categorical(project, method)
        else:
            labels = aggregate_structured(project, kind, method)
        phase("load_and_aggregate")
        stored_method = method if kind in ("categorical", "pairwise", "multi_label") else kind
        labels_store(project_id=project_id, labels=labels, method=stored_method)
        phase("store")
        closed, saved = tasks_close_confident(project=project, labels=labels)
        phase("close")
        worker_stats_refresh(project=project, agreement=labels.agreement, skill=labels.skill)
        phase("worker_stats")
        Project.objects.filter(pk=project_id).update(
            aggregated_at=marked_at, aggregated_answers=counted_before
        )
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


def _counted_answers_now(project_id: int) -> int:
    """Submitted, non-rejected answers per the project's counters (a handful of shard rows)."""
    totals = ProjectCounter.objects.filter(project_id=project_id).aggregate(
        n=Sum(F("answers") + F("gold_answers"))
    )
    return int(totals["n"] or 0)


def projects_needing_aggregation():
    """Ids of active projects whose counted answers changed since their last aggregation
    started (new submissions, rejections) or that were never aggregated but have answers:
    what the periodic sweep re-aggregates, least recently aggregated first. Reads only the
    counter shards, never the answers. (A rejection and a new answer between two runs cancel
    out here; the aggregation scheduled by that submission still runs.)"""
    counted = (
        ProjectCounter.objects.filter(project_id=OuterRef("pk"))
        .values("project_id")
        .annotate(n=Sum(F("answers") + F("gold_answers")))
        .values("n")
    )
    return (
        Project.objects.filter(status=ProjectStatus.ACTIVE)
        .alias(counted=Coalesce(Subquery(counted), 0))
        .exclude(counted=F("aggregated_answers"))
        .order_by(F("aggregated_at").asc(nulls_first=True), "pk")
        .values_list("pk", flat=True)
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


__all__ = [
    "READ_CHUNK",
    "UPDATE_CHUNK",
    "AggregationBusy",
    "AggregationError",
    "AggregationRun",
    "Labels",
    "aggregation_method_set",
    "project_aggregate",
    "projects_needing_aggregation",
    "tasks_close_confident",
]
