"""Worker quality in a project: the figures (gold accuracy with a Wilson interval, agreement with
final labels, the model's skill, median answer time), the quality rules that run after every
submission, blocks (which the claim SQL enforces) and the log of quality actions shown to
workers. The figures live in ``worker_stats.py`` and the reads in
``marketplace/selectors/quality.py``. Flows: docs/quality.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from config.errors import DomainError
from marketplace.models import (
    Assignment,
    AssignmentStatus,
    Project,
    ProjectBlock,
    QualityAction,
    QualityActionKind,
    QualityRule,
    ReviewStatus,
    WorkerProjectStats,
)
from marketplace.services.worker_stats import (
    worker_stats_refresh,
)


class QualityError(DomainError):
    """A refused quality operation; the message is for the requester."""

    code, http_status = "invalid_state", 409


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
