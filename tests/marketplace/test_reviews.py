from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from marketplace.models import Assignment, ProjectCounter, ReviewStatus, Task, TaskStatus
from marketplace.services.assignments import assignment_claim, assignment_submit
from marketplace.services.reviews import (
    ReviewError,
    assignment_approve,
    assignment_reject,
    assignments_auto_approve,
    assignments_review,
)
from marketplace.tasks import auto_approve_assignments
from tests.marketplace.factories import ProjectFactory, TaskFactory, WorkerFactory

pytestmark = pytest.mark.django_db


def answered(project, workers):
    """Each worker claims and answers once; returns the assignments."""
    ids = []
    for worker in workers:
        claimed = assignment_claim(worker=worker, project=project)
        assignment_submit(worker=worker, assignment_id=claimed.assignment_id, answer="cat")
        ids.append(claimed.assignment_id)
    return [Assignment.objects.get(pk=pk) for pk in ids]


def test_rejecting_an_answer_reopens_its_task_for_another_worker():
    project = ProjectFactory(overlap_min=2, overlap_max=2)
    task = TaskFactory(project=project)
    first, _second = answered(project, WorkerFactory.create_batch(2))
    assert Task.objects.get(pk=task.pk).status == TaskStatus.COMPLETE

    assignment_reject(assignment_id=first.pk, reason="Did not read the instructions")

    task.refresh_from_db()
    assert (task.status, task.slots_taken, task.answers_count) == (TaskStatus.OPEN, 1, 1)
    counters = ProjectCounter.objects.aggregate(a=Sum("answers"), c=Sum("tasks_completed"))
    assert counters == {"a": 1, "c": 0}
    newcomer = WorkerFactory()
    assert assignment_claim(worker=newcomer, project=project) is not None
    first.refresh_from_db()
    assert first.rejection_reason == "Did not read the instructions"


def test_a_rejection_needs_a_reason():
    project = ProjectFactory()
    TaskFactory(project=project)
    (assignment,) = answered(project, [WorkerFactory()])
    with pytest.raises(ReviewError, match="reason"):
        assignment_reject(assignment_id=assignment.pk, reason="  ")
    assignment.refresh_from_db()
    assert assignment.review_status == ReviewStatus.PENDING


def test_approval_is_final_and_retry_safe():
    project = ProjectFactory()
    TaskFactory(project=project)
    (assignment,) = answered(project, [WorkerFactory()])
    assignment_approve(assignment_id=assignment.pk)
    assignment_approve(assignment_id=assignment.pk)
    with pytest.raises(ReviewError, match="already approved"):
        assignment_reject(assignment_id=assignment.pk, reason="changed my mind")
    assignment.refresh_from_db()
    assert assignment.review_status == ReviewStatus.APPROVED and assignment.reviewed_at


def test_only_submitted_answers_of_the_project_are_reviewed():
    project, other = ProjectFactory(), ProjectFactory()
    TaskFactory(project=project)
    live = assignment_claim(worker=WorkerFactory(), project=project)
    with pytest.raises(ReviewError, match="submitted"):
        assignment_approve(assignment_id=live.assignment_id)
    with pytest.raises(ReviewError, match="No such assignment"):
        assignment_approve(assignment_id=live.assignment_id, project=other)


def test_bulk_review_counts_what_it_did():
    project = ProjectFactory(overlap_min=3, overlap_max=3)
    TaskFactory(project=project)
    assignments = answered(project, WorkerFactory.create_batch(3))
    assignment_approve(assignment_id=assignments[0].pk)
    result = assignments_review(
        project=project,
        assignment_ids=[a.pk for a in assignments],
        approve=False,
        reason="Spam",
    )
    assert result == {"reviewed": 2, "refused": 1}


def test_auto_approval_waits_for_the_projects_delay():
    project = ProjectFactory(auto_approve_seconds=3600)
    TaskFactory.create_batch(2, project=project)
    old, new = answered(project, WorkerFactory.create_batch(2))
    Assignment.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - timedelta(hours=2))
    assert auto_approve_assignments.delay().get() == 1
    assert assignments_auto_approve() == 0
    statuses = dict(Assignment.objects.values_list("pk", "review_status"))
    assert statuses == {old.pk: ReviewStatus.APPROVED, new.pk: ReviewStatus.PENDING}
    assert assignments_auto_approve(now=timezone.now() + timedelta(hours=1, minutes=1)) == 1
