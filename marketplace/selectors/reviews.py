"""Reads for answer review: a project's queue and one answer, scoped to the requester's
organisation (another organisation's rows are 404)."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User
from marketplace.models import Assignment, AssignmentStatus, Project, ReviewStatus


def review_queue(*, project: Project) -> QuerySet[Assignment]:
    """A project's submitted answers awaiting review, oldest first."""
    return (
        Assignment.objects.filter(
            project=project,
            status=AssignmentStatus.SUBMITTED,
            review_status=ReviewStatus.PENDING,
        )
        .select_related("task", "worker")
        .order_by("submitted_at", "id")
    )


def assignment_get_for_requester(*, user: User, assignment_id: int) -> Assignment:
    """A submitted assignment of the requester's organisation, or 404."""
    return get_object_or_404(
        Assignment.objects.select_related("project").filter(
            project__account_id=user.requester_account_id
        ),
        pk=assignment_id,
    )
