"""Worker quality in a project: the figures (gold accuracy with a Wilson interval, agreement with
final labels, the model's skill, median answer time), the quality rules that run after every
submission, blocks (which the claim SQL enforces) and the log of quality actions shown to
workers. Reads used by pages and the API are at the end. Flows: docs/quality.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from accounts.models import User
from marketplace.aggregation.boxes import iou
from marketplace.aggregation.text import normalise
from marketplace.models import (
    Assignment,
    AssignmentStatus,
    Project,
    ProjectBlock,
    QualityAction,
    QualityActionKind,
    QualityRule,
    ReviewStatus,
    Task,
    WorkerProjectStats,
)
from marketplace.services import aggregation_portable
from marketplace.task_types import task_type

WILSON_Z = 1.96  # 95% interval
_assignment = Assignment._meta.db_table
_task = Task._meta.db_table
_stats = WorkerProjectStats._meta.db_table


class QualityError(Exception):
    """A refused quality operation; the message is for the requester."""


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
"""

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
"""


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
    if portable := aggregation_portable.portable():
        rows = aggregation_portable.worker_figures(project_id=project.pk, worker_ids=worker_ids)
    else:
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
    if portable:
        aggregation_portable.worker_stats_upsert(
            project_id=project.pk, columns=columns, now=params["now"]
        )
    else:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_UPSERT_SQL, {**params, **columns})
    return len(rows)


# --- Rules ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RulesOutcome:
    actions: list[QualityAction]
    blocked: bool


def quality_rules_run(
    *, project_id: int, worker_id: int, now: datetime | None = None
) -> RulesOutcome:
    """Refresh the worker's figures and apply the project's rules (after every submission).

    - Gold accuracy: block when the Wilson lower bound < ``block_gold_accuracy_below`` after at
      least ``block_min_gold_answers`` gold answers.
    - Fast answers: flag once ``fast_answer_count`` answers took under ``fast_answer_seconds``.
    - Constant answers: flag when the last ``constant_answer_run`` regular answers are all the
      same and gold accuracy is below ``constant_gold_accuracy_below`` (needs a gold answer).
    Each flag is recorded once per rule, worker and project; a blocked worker is not blocked
    again. Runs under the row lock of the worker's stats row, so two runs for the same worker
    cannot record the same action twice. Safe to run twice. A block may then discard the
    worker's pending answers (``block_discards_answers``), each in its own transaction.
    """
    now = now or timezone.now()
    project = Project.objects.get(pk=project_id)
    worker_stats_refresh(project=project, worker_ids=[worker_id], now=now)
    actions: list[QualityAction] = []
    with transaction.atomic():
        stats = (
            WorkerProjectStats.objects.select_for_update()
            .filter(project_id=project_id, worker_id=worker_id)
            .first()
        )
        if stats is None:
            return RulesOutcome([], False)
        blocked = ProjectBlock.objects.filter(project_id=project_id, worker_id=worker_id).exists()
        flagged = set(
            QualityAction.objects.filter(
                project_id=project_id, worker_id=worker_id, action=QualityActionKind.FLAG
            ).values_list("rule", flat=True)
        )
        block_reason = None if blocked else _gold_rule(project, stats)
        if block_reason:
            ProjectBlock.objects.create(
                project_id=project_id, worker_id=worker_id, reason=block_reason, created_at=now
            )
            actions.append(
                _record(project_id, worker_id, QualityRule.GOLD_ACCURACY, "block", block_reason)
            )
        for rule, check in (
            (QualityRule.FAST_ANSWERS, _fast_rule),
            (QualityRule.CONSTANT_ANSWERS, _constant_rule),
        ):
            reason = None if rule in flagged else check(project, stats)
            if reason:
                actions.append(_record(project_id, worker_id, rule, "flag", reason))
    if block_reason and project.block_discards_answers:
        discarded = answers_discard(
            project=project, worker_id=worker_id, reason=f"Blocked by quality rule: {block_reason}"
        )
        QualityAction.objects.filter(pk=actions[0].pk).update(answers_discarded=discarded)
        actions[0].answers_discarded = discarded
    return RulesOutcome(actions, bool(block_reason))


def _record(project_id, worker_id, rule, action, reason, created_by=None) -> QualityAction:
    return QualityAction.objects.create(
        project_id=project_id,
        worker_id=worker_id,
        rule=rule,
        action=action,
        reason=reason,
        created_by=created_by,
    )


def _gold_rule(project: Project, stats: WorkerProjectStats) -> str | None:
    threshold = project.block_gold_accuracy_below
    if threshold is None or stats.gold_answers < max(project.block_min_gold_answers, 1):
        return None
    if stats.gold_accuracy_low is None or stats.gold_accuracy_low >= threshold:
        return None
    return (
        f"{stats.gold_correct} of {stats.gold_answers} gold answers correct: accuracy is at "
        f"least {stats.gold_accuracy_low:.0%} (95% lower bound), below this project's "
        f"{threshold:.0%}."
    )


def _fast_rule(project: Project, stats: WorkerProjectStats) -> str | None:
    seconds = project.fast_answer_seconds
    if seconds is None:
        return None
    fast = Assignment.objects.filter(
        project_id=project.pk,
        worker_id=stats.worker_id,
        status=AssignmentStatus.SUBMITTED,
        duration_ms__lt=int(seconds * 1000),
    ).count()
    if fast < max(project.fast_answer_count, 1):
        return None
    return f"{fast} answers took less than {seconds:g} seconds each."


def _constant_rule(project: Project, stats: WorkerProjectStats) -> str | None:
    run = project.constant_answer_run
    accuracy = stats.gold_accuracy
    if not run or accuracy is None or accuracy >= project.constant_gold_accuracy_below:
        return None
    last = list(
        Assignment.objects.filter(
            project_id=project.pk,
            worker_id=stats.worker_id,
            status=AssignmentStatus.SUBMITTED,
            is_gold=False,
        )
        .order_by("-submitted_at", "-id")
        .values_list("answer", flat=True)[:run]
    )
    if len(last) < run or any(answer != last[0] for answer in last):
        return None
    return (
        f"The same answer {run} times in a row with {accuracy:.0%} gold accuracy "
        f"(this project flags below {project.constant_gold_accuracy_below:.0%})."
    )


def answers_discard(*, project: Project, worker_id: int, reason: str) -> int:
    """Reject the worker's pending answers in the project (their tasks re-open). Each rejection
    is its own transaction (reviews.assignment_reject); returns how many were rejected."""
    from marketplace.services.reviews import ReviewError, assignment_reject

    pending = Assignment.objects.filter(
        project=project,
        worker_id=worker_id,
        status=AssignmentStatus.SUBMITTED,
        review_status=ReviewStatus.PENDING,
    ).values_list("id", flat=True)
    rejected = 0
    for assignment_id in list(pending):
        try:
            assignment_reject(assignment_id=assignment_id, project=project, reason=reason)
        except ReviewError:
            continue  # reviewed meanwhile
        rejected += 1
    return rejected


# --- Requester actions ------------------------------------------------------------------------

QUALITY_SETTINGS = (
    "block_gold_accuracy_below",
    "block_min_gold_answers",
    "block_discards_answers",
    "fast_answer_seconds",
    "fast_answer_count",
    "constant_answer_run",
    "constant_gold_accuracy_below",
)


@transaction.atomic
def quality_settings_update(*, project: Project, **settings: Any) -> Project:
    """Change the project's quality rules (any of ``QUALITY_SETTINGS``); null turns a rule off.
    They apply from the next submission on."""
    unknown = set(settings) - set(QUALITY_SETTINGS)
    if unknown:
        raise QualityError(f"Unknown quality settings: {', '.join(sorted(unknown))}.")
    for share in ("block_gold_accuracy_below", "constant_gold_accuracy_below"):
        value = settings.get(share)
        if value is not None and not 0 <= value <= 1:
            raise QualityError(f"{share} is a share between 0 and 1.")
    if (settings.get("fast_answer_seconds") or 0) < 0:
        raise QualityError("fast_answer_seconds cannot be negative.")
    project = Project.objects.select_for_update().get(pk=project.pk)
    for name, value in settings.items():
        setattr(project, name, value)
    project.save(update_fields=[*settings, "updated_at"])
    return project


def worker_block(*, project: Project, worker: User, reason: str, by: User | None) -> ProjectBlock:
    """Block a worker from the project by hand (recorded as a ``manual`` quality action)."""
    reason = (reason or "").strip()
    if not reason:
        raise QualityError("A block needs a reason; the worker will see it.")
    try:
        with transaction.atomic():
            block = ProjectBlock.objects.create(
                project=project, worker=worker, reason=reason, created_by=by
            )
            _record(project.pk, worker.pk, QualityRule.MANUAL, "block", reason, created_by=by)
    except IntegrityError:
        raise QualityError("This worker is already blocked from the project.") from None
    return block


@transaction.atomic
def worker_unblock(*, project: Project, worker: User, by: User | None) -> None:
    """Lift a block; the worker can claim the project's tasks again. No-op when not blocked."""
    deleted, _ = ProjectBlock.objects.filter(project=project, worker=worker).delete()
    if deleted:
        _record(project.pk, worker.pk, QualityRule.MANUAL, "unblock", "Block lifted.", by)


# --- Reads (selectors shared by pages and the API) --------------------------------------------


def worker_stats_for_project(*, project: Project) -> QuerySet[WorkerProjectStats]:
    """Every worker with answers in the project, weakest gold accuracy first, with ``blocked``."""
    blocked = ProjectBlock.objects.filter(project=project, worker_id=OuterRef("worker_id"))
    return (
        WorkerProjectStats.objects.filter(project=project)
        .select_related("worker")
        .annotate(blocked=Exists(blocked))
        .order_by("gold_accuracy_low", "worker_id")
    )


def quality_actions_for_project(*, project: Project) -> QuerySet[QualityAction]:
    return QualityAction.objects.filter(project=project).select_related("worker")


def quality_actions_for_worker(*, worker: User) -> QuerySet[QualityAction]:
    """What quality rules and requesters did to this worker, newest first (worker dashboard)."""
    return QualityAction.objects.filter(worker=worker).select_related("project")


def project_blocks_for_worker(*, worker: User) -> QuerySet[ProjectBlock]:
    return ProjectBlock.objects.filter(worker=worker).select_related("project")


@dataclass(frozen=True)
class BudgetSaved:
    answers_saved: int
    reward_cents_saved: int


def project_budget_saved(*, project: Project) -> BudgetSaved:
    """Answers dynamic overlap did not need to collect, and their rewards (fees excluded)."""
    return BudgetSaved(project.answers_saved, project.answers_saved * project.reward_cents)
