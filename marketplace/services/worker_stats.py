"""Worker figures in a project: gold accuracy with a Wilson interval, agreement with final
labels, the model's skill and the median answer time, recomputed by ``worker_stats_refresh``
(one SQL aggregate and one upsert).
Flows: docs/quality.md.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from marketplace.aggregation.boxes import iou
from marketplace.aggregation.text import normalise
from marketplace.models import (
    Assignment,
    AssignmentStatus,
    Project,
    Task,
    WorkerProjectStats,
)
from marketplace.task_types import task_type

WILSON_Z = 1.96  # 95% interval
_assignment = Assignment._meta.db_table
_task = Task._meta.db_table
_stats = WorkerProjectStats._meta.db_table


def wilson_interval(correct: int, total: int, z: float = WILSON_Z) -> tuple[float, float] | None:
    """Wilson score interval of a proportion (Wilson 1927); None without observations. Unlike
    the normal approximation it stays inside [0, 1] and is honest for 3 of 3 (low ~0.44)."""
    if total <= 0:
        return None
    share = correct / total
    denominator = 1 + z * z / total
    centre = (share + z * z / (2 * total)) / denominator
    margin = z * math.sqrt(share * (1 - share) / total + z * z / (4 * total * total)) / denominator
    return max(0.0, centre - margin), min(1.0, centre + margin)


def answers_match(kind: str, answer: Any, expected: Any) -> bool:
    """Whether an answer equals a gold or final answer of an aggregation ``kind``. Answers are
    stored cleaned by the template (labels trimmed, multi-labels in config order, spans sorted),
    so most kinds compare exactly; free text compares normalised; boxes pair up by IoU >= 0.5
    with the same label."""
    if kind == "text":
        return isinstance(answer, str) and normalise(answer) == normalise(str(expected))
    if kind == "multi_label":
        return set(answer or ()) == set(expected or ())
    if kind == "numeric":
        try:
            return float(answer) == float(expected)
        except (TypeError, ValueError):
            return False
    if kind == "boxes":
        if len(answer or ()) != len(expected or ()):
            return False
        left = list(expected)
        for box in answer:
            corners = (box["x"], box["y"], box["x"] + box["width"], box["y"] + box["height"])
            for other in left:
                if (
                    other["label"] == box["label"]
                    and iou(
                        corners,
                        (
                            other["x"],
                            other["y"],
                            other["x"] + other["width"],
                            other["y"] + other["height"],
                        ),
                    )
                    >= 0.5
                ):
                    left.remove(other)
                    break
            else:
                return False
        return True
    return answer == expected


# --- Figures ----------------------------------------------------------------------------------

# Gold correctness compares the stored JSON with the gold answer (both cleaned by the template);
# free text and boxes are re-checked in Python by ``_gold_correct_fuzzy``.
_STATS_SQL = f"""
SELECT a.worker_id,
       count(*) FILTER (WHERE NOT a.is_gold),
       count(*) FILTER (WHERE a.is_gold),
       count(*) FILTER (WHERE a.is_gold AND a.answer = t.gold_answer),
       percentile_disc(0.5) WITHIN GROUP (ORDER BY a.duration_ms)
FROM {_assignment} a JOIN {_task} t ON t.id = a.task_id
WHERE a.project_id = %(project)s AND a.status = 'submitted' {{worker_filter}}
GROUP BY a.worker_id
"""  # nosec B608 # our table names and constant SQL; values are parameters

_UPSERT_SQL = f"""
INSERT INTO {_stats} AS s (project_id, worker_id, answers, gold_answers, gold_correct,
    gold_accuracy_low, gold_accuracy_high, agreement, skill, median_duration_ms, updated_at)
SELECT %(project)s, v.* , %(now)s
FROM unnest(%(workers)s::bigint[], %(answers)s::int[], %(gold)s::int[], %(correct)s::int[],
            %(low)s::float8[], %(high)s::float8[], %(agreement)s::float8[], %(skill)s::float8[],
            %(median)s::int[])
     AS v(worker_id, answers, gold_answers, gold_correct, low, high, agreement, skill, median)
ON CONFLICT (project_id, worker_id) DO UPDATE SET
    answers = EXCLUDED.answers, gold_answers = EXCLUDED.gold_answers,
    gold_correct = EXCLUDED.gold_correct, gold_accuracy_low = EXCLUDED.gold_accuracy_low,
    gold_accuracy_high = EXCLUDED.gold_accuracy_high,
    agreement = COALESCE(EXCLUDED.agreement, s.agreement),
    skill = COALESCE(EXCLUDED.skill, s.skill),
    median_duration_ms = EXCLUDED.median_duration_ms, updated_at = EXCLUDED.updated_at
"""  # nosec B608 # our table names and constant SQL; values are parameters


def _gold_correct_fuzzy(project: Project, kind: str, worker_ids: list[int] | None) -> dict:
    """Gold hits per worker for kinds whose equality is not JSON equality (text, boxes)."""
    gold = dict(Task.objects.filter(project=project, is_gold=True).values_list("id", "gold_answer"))
    answers = Assignment.objects.filter(
        project=project, is_gold=True, status=AssignmentStatus.SUBMITTED
    )
    if worker_ids is not None:
        answers = answers.filter(worker_id__in=worker_ids)
    hits: dict[int, int] = {}
    for worker_id, task_id, answer in answers.values_list("worker_id", "task_id", "answer"):
        hits[worker_id] = hits.get(worker_id, 0) + answers_match(kind, answer, gold.get(task_id))
    return hits


def worker_stats_refresh(
    *,
    project: Project,
    worker_ids: list[int] | None = None,
    agreement: dict[int, float] | None = None,
    skill: dict[int, float] | None = None,
    now: datetime | None = None,
) -> int:
    """Recompute the figures of ``worker_ids`` (all workers with answers when None) in one
    grouped query and upsert them. ``agreement`` and ``skill`` come from an aggregation run;
    when absent the stored ones are kept. Counts include rejected answers: quality describes
    what the worker did, whatever happened to the payment. Returns the rows written."""
    kind = task_type(project.template_type).aggregation_kind
    agreement, skill = agreement or {}, skill or {}
    params: dict[str, Any] = {"project": project.pk, "now": now or timezone.now()}
    worker_filter = ""
    if worker_ids is not None:
        worker_filter = "AND a.worker_id = ANY(%(worker_ids)s)"
        params["worker_ids"] = worker_ids
    with connection.cursor() as cursor:
        cursor.execute(_STATS_SQL.format(worker_filter=worker_filter), params)
        rows = cursor.fetchall()
    if not rows:
        return 0
    fuzzy = _gold_correct_fuzzy(project, kind, worker_ids) if kind in ("text", "boxes") else {}
    columns: dict[str, list] = {
        key: []
        for key in ("workers", "answers", "gold", "correct", "low", "high", "agreement", "skill")
    }
    columns["median"] = []
    for worker_id, answers, gold, correct, median in rows:
        correct = fuzzy.get(worker_id, correct) if fuzzy else correct
        interval = wilson_interval(correct, gold) or (None, None)
        for key, value in (
            ("workers", worker_id),
            ("answers", answers),
            ("gold", gold),
            ("correct", correct),
            ("low", interval[0]),
            ("high", interval[1]),
            ("agreement", agreement.get(worker_id)),
            ("skill", skill.get(worker_id)),
            ("median", median),
        ):
            columns[key].append(value)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_UPSERT_SQL, {**params, **columns})
    return len(rows)
