"""Reviewing submitted answers: approve, reject (with a reason shown to the worker), in bulk,
and automatically once a project's auto-approval delay has passed.

Approval pays the worker; rejection returns the reward to escrow and re-opens the task's slot so
another worker answers it. Money moves through ``marketplace.funding`` (the payments seam), in
the same transaction as the review, so a review and its ledger entries commit together.
Lock order: assignment, then task (as in docs/allocation.md).
"""

import random
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Case, DateTimeField, ExpressionWrapper, F, Value, When
from django.utils import timezone

from accounts.models import User
from marketplace.funding import InsufficientFundsError, funding_pay, funding_refund_rejected
from marketplace.models import (
    Assignment,
    AssignmentStatus,
    Project,
    ProjectCounter,
    ReviewStatus,
    Task,
    TaskStatus,
)

AUTO_APPROVE_BATCH = 500


class ReviewError(Exception):
    """The assignment cannot be reviewed this way; the message says why."""


def _lock_reviewable(assignment_id: int, project: Project | None) -> Assignment:
    queryset = Assignment.objects.select_for_update().select_related("project")
    if project is not None:
        queryset = queryset.filter(project=project)
    assignment = queryset.filter(pk=assignment_id).first()
    if assignment is None:
        raise ReviewError("No such assignment in this project.")
    if assignment.status != AssignmentStatus.SUBMITTED:
        raise ReviewError("Only submitted answers can be reviewed.")
    return assignment


def _mark(assignment: Assignment, status: str, reason: str, now: datetime) -> None:
    assignment.review_status = status
    assignment.reviewed_at = now
    assignment.rejection_reason = reason
    assignment.save(update_fields=["review_status", "reviewed_at", "rejection_reason"])


@transaction.atomic
def assignment_approve(
    *, assignment_id: int, project: Project | None = None, now: datetime | None = None
) -> Assignment:
    """Approve a submitted answer and pay it. Approving an approved answer changes nothing
    (safe to retry); a rejected one cannot be approved."""
    assignment = _lock_reviewable(assignment_id, project)
    if assignment.review_status == ReviewStatus.APPROVED:
        return assignment
    if assignment.review_status == ReviewStatus.REJECTED:
        raise ReviewError("This answer was rejected; it cannot be approved any more.")
    _mark(assignment, ReviewStatus.APPROVED, "", now or timezone.now())
    funding_pay(assignment=assignment)
    return assignment


@transaction.atomic
def assignment_reject(
    *,
    assignment_id: int,
    reason: str,
    project: Project | None = None,
    now: datetime | None = None,
) -> Assignment:
    """Reject a pending answer: the worker sees ``reason``, the reward goes back to escrow, and
    a regular task re-opens its slot so another worker answers it. Approved answers were paid
    and stay approved."""
    reason = (reason or "").strip()
    if not reason:
        raise ReviewError("A rejection needs a reason; the worker will see it.")
    assignment = _lock_reviewable(assignment_id, project)
    if assignment.review_status == ReviewStatus.REJECTED:
        return assignment
    if assignment.review_status == ReviewStatus.APPROVED:
        raise ReviewError("This answer was already approved and paid.")
    _mark(assignment, ReviewStatus.REJECTED, reason, now or timezone.now())
    _release_answer(assignment)
    funding_refund_rejected(assignment=assignment)
    return assignment


def _release_answer(assignment: Assignment) -> None:
    """The rejected answer no longer counts: its task takes another answer. Caller holds the
    assignment's row lock; this takes the task's."""
    if assignment.is_gold:
        ProjectCounter.objects.filter(
            project_id=assignment.project_id, shard=_shard(assignment.project_id)
        ).update(gold_answers=F("gold_answers") - 1)
        return
    task = Task.objects.select_for_update().get(pk=assignment.task_id)
    was_complete = task.status == TaskStatus.COMPLETE
    Task.objects.filter(pk=task.pk).update(
        slots_taken=F("slots_taken") - 1,
        answers_count=F("answers_count") - 1,
        status=Case(
            When(status=TaskStatus.COMPLETE, then=Value(TaskStatus.OPEN)), default="status"
        ),
    )
    ProjectCounter.objects.filter(
        project_id=assignment.project_id, shard=_shard(assignment.project_id)
    ).update(
        answers=F("answers") - 1,
        tasks_completed=F("tasks_completed") - (1 if was_complete else 0),
    )


def _shard(project_id: int) -> int:
    """A shard row that exists: submits created at least one for any project with answers."""
    shards = list(
        ProjectCounter.objects.filter(project_id=project_id).values_list("shard", flat=True)
    )
    return random.choice(shards)  # noqa: S311 - spreading writes, not a secret


def assignments_review(
    *,
    project: Project,
    assignment_ids: Iterable[int],
    approve: bool,
    reason: str = "",
    reviewer: User | None = None,
) -> dict[str, int]:
    """Bulk review. Each assignment is its own transaction, so one refusal does not undo the
    others; the result counts what happened."""
    counts = {"reviewed": 0, "refused": 0}
    for assignment_id in assignment_ids:
        try:
            if approve:
                assignment_approve(assignment_id=assignment_id, project=project)
            else:
                assignment_reject(assignment_id=assignment_id, project=project, reason=reason)
        except (ReviewError, InsufficientFundsError):
            # One refusal (e.g. the organisation ran out of funds) must not stop the batch.
            counts["refused"] += 1
        else:
            counts["reviewed"] += 1
    return counts


def assignments_auto_approve(*, now: datetime | None = None, limit: int = AUTO_APPROVE_BATCH):
    """Approve answers left pending longer than their project's auto-approval delay. Safe to run
    twice: approving an approved answer does nothing."""
    now = now or timezone.now()
    due_at = ExpressionWrapper(
        F("submitted_at") + F("project__auto_approve_seconds") * Value(timedelta(seconds=1)),
        output_field=DateTimeField(),
    )
    due = (
        Assignment.objects.filter(
            status=AssignmentStatus.SUBMITTED, review_status=ReviewStatus.PENDING
        )
        .annotate(due_at=due_at)
        .filter(due_at__lte=now)
        .order_by("submitted_at")
        .values_list("id", flat=True)[:limit]
    )
    approved = 0
    for assignment_id in list(due):
        try:
            assignment_approve(assignment_id=assignment_id, now=now)
        except (ReviewError, InsufficientFundsError):
            continue  # reviewed by hand meanwhile, or the organisation is out of funds
        approved += 1
    return approved
