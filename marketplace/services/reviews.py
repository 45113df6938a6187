"""Reviewing submitted answers: approve, reject (with a reason shown to the worker), in bulk,
and automatically once a project's auto-approval delay has passed.

Approval pays the worker; rejection returns the reward to escrow and re-opens the task's slot so
another worker answers it. Money moves through ``marketplace.services.escrow``, in the same
transaction as the review, so a review and its ledger entries commit together.
Lock order: assignment, then task (as in docs/allocation.md).
"""

import random
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Case, DateTimeField, ExpressionWrapper, F, Value, When
from django.utils import timezone

from accounts.models import User
from config.errors import DomainError
from marketplace.models import (
    Assignment,
    AssignmentStatus,
    Project,
    ProjectCounter,
    ReviewStatus,
    Task,
    TaskStatus,
)
from marketplace.services.escrow import escrow_pay, escrow_pay_many

# Answers approved in one transaction: big enough that a batch's fixed costs (locks, the ledger
# insert) vanish per answer, small enough to keep locks short (bench/ledger.py).
REVIEW_BATCH = 500
# Answers one auto-approval run takes on (celery beat every 5 minutes; ~20 s of work).
AUTO_APPROVE_LIMIT = 20_000


class ReviewError(DomainError):
    """The assignment cannot be reviewed this way; the message says why."""

    code, http_status = "review_refused", 409


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
    escrow_pay(assignment=assignment)
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
    # Nothing moves: the reward stays in escrow for the answer that replaces this one.
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
    """Bulk review; the result counts what happened. Approvals go in batches of
    ``REVIEW_BATCH``, each one transaction that pays its answers together; a refused answer
    (not submitted, rejected, or unpaid for lack of funds) is counted and does not stop the
    others. Rejections re-open tasks one by one, each in its own transaction."""
    counts = {"reviewed": 0, "refused": 0}
    ids = list(assignment_ids)
    if approve:
        for start in range(0, len(ids), REVIEW_BATCH):
            done = _approve_batch(project=project, assignment_ids=ids[start : start + REVIEW_BATCH])
            for key in counts:
                counts[key] += done[key]
        return counts
    for assignment_id in ids:
        try:
            assignment_reject(assignment_id=assignment_id, project=project, reason=reason)
        except ReviewError:
            counts["refused"] += 1
        else:
            counts["reviewed"] += 1
    return counts


@transaction.atomic
def _approve_batch(
    *, project: Project, assignment_ids: list[int], now: datetime | None = None
) -> dict[str, int]:
    """Approve and pay ``assignment_ids`` of ``project`` in one transaction, as one-by-one
    approvals would (already approved counts as reviewed). Lock order as for a single approval:
    the assignments (in id order), then escrow and ledger accounts inside the payment."""
    locked = list(
        Assignment.objects.select_for_update()
        .filter(pk__in=set(assignment_ids), project=project)
        .only("id", "project_id", "worker_id", "status", "review_status")
        .order_by("pk")
    )
    pending = [
        a
        for a in locked
        if a.status == AssignmentStatus.SUBMITTED and a.review_status == ReviewStatus.PENDING
    ]
    refused = escrow_pay_many(project=project, assignments=pending) if pending else {}
    paid = [a.pk for a in pending if a.pk not in refused]
    Assignment.objects.filter(pk__in=paid).update(
        review_status=ReviewStatus.APPROVED, reviewed_at=now or timezone.now(), rejection_reason=""
    )
    approved = {a.pk for a in locked if a.review_status == ReviewStatus.APPROVED}.union(paid)
    reviewed = sum(1 for assignment_id in assignment_ids if assignment_id in approved)
    return {"reviewed": reviewed, "refused": len(assignment_ids) - reviewed}


def assignments_auto_approve(*, now: datetime | None = None, limit: int = AUTO_APPROVE_LIMIT):
    """Approve answers left pending longer than their project's auto-approval delay, oldest
    first, in per-project batches of ``REVIEW_BATCH`` (one transaction each). Safe to run
    twice or concurrently: the batch re-checks each answer under its row lock."""
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
        .values_list("project_id", "id")[:limit]
    )
    by_project: dict[int, list[int]] = defaultdict(list)
    for project_id, assignment_id in due:
        by_project[project_id].append(assignment_id)
    approved = 0
    for project in Project.objects.filter(pk__in=by_project).order_by("pk"):
        ids = by_project[project.pk]
        for start in range(0, len(ids), REVIEW_BATCH):
            # Reviewed by hand meanwhile, or the organisation is out of funds: counted refused.
            batch = ids[start : start + REVIEW_BATCH]
            approved += _approve_batch(project=project, assignment_ids=batch, now=now)["reviewed"]
    return approved
