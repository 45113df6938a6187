"""What an aggregation run computed, how answers are read for it, and how labels are stored.

Shared by the categorical and structured bridges (``aggregation_categorical``,
``aggregation_structured``) and the run itself (``aggregation``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection, transaction

from marketplace.models import Assignment, AssignmentStatus, ReviewStatus, Task

READ_CHUNK = 50_000
UPDATE_CHUNK = 5_000
_task = Task._meta.db_table


@dataclass
class Labels:
    """Per task: the JSON label, its confidence, and the confidence the dynamic-overlap rule
    compares with the project's target (``stop_confidence``: the vote-margin confidence for
    categorical answers, see ``marketplace.aggregation.overlap``; the label's confidence for
    other kinds). Per worker (by user id): agreement with the final labels and the model's
    skill (empty when the method has none)."""

    task_ids: list[int]
    labels_json: list[str]
    confidence: list[float]
    stop_confidence: list[float]
    answers: int
    agreement: dict[int, float]
    skill: dict[int, float]

    @classmethod
    def empty(cls) -> Labels:
        return cls([], [], [], [], 0, {}, {})


def counted_answers(project_id: int):
    """The answers that count: submitted and not rejected, in no particular order."""
    return (
        Assignment.objects.filter(project_id=project_id, status=AssignmentStatus.SUBMITTED)
        .exclude(review_status=ReviewStatus.REJECTED)
        .order_by()
    )


def chunks(rows: Iterator, size: int) -> Iterator[list]:
    while chunk := list(itertools.islice(rows, size)):
        yield chunk


_STORE_SQL = f"""
UPDATE {_task} t
SET final_label = v.label::jsonb, confidence = v.confidence, aggregation_method = %(method)s
FROM unnest(%(ids)s::bigint[], %(labels)s::text[], %(confidence)s::float8[])
     AS v(id, label, confidence)
WHERE t.id = v.id AND t.project_id = %(project)s
  AND (t.final_label IS DISTINCT FROM v.label::jsonb
       OR t.confidence IS DISTINCT FROM v.confidence
       OR t.aggregation_method <> %(method)s)
"""  # nosec B608 # our table names and constant SQL; values are parameters

# A regular task whose answers were all rejected since the last run has no final label.
_CLEAR_SQL = f"""
UPDATE {_task} SET final_label = NULL, confidence = NULL, aggregation_method = ''
WHERE project_id = %(project)s AND answers_count = 0 AND NOT is_gold
  AND final_label IS NOT NULL
"""  # nosec B608 # our table names and constant SQL; values are parameters


def labels_store(*, project_id: int, labels: Labels, method: str) -> None:
    """Write final labels with ``UPDATE … FROM unnest(…)`` in chunks of ``UPDATE_CHUNK`` rows,
    each its own short transaction (claims and submits never wait long on a row lock); rows
    that did not change are not written, so a second run is cheap."""
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
