"""The allocation path for databases without SKIP LOCKED (the SQLite demo), run here on
PostgreSQL through the same services: the rules must be the same."""

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from marketplace.models import Assignment, ProjectCounter, Task, TaskStatus
from marketplace.services.assignments import (
    LeaseExpired,
    assignment_claim,
    assignment_skip,
    assignment_submit,
    assignments_expire,
)
from tests.marketplace.factories import ProjectFactory, TaskFactory, WorkerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _portable(settings):
    settings.ALLOCATION_PORTABLE_SQL = True


def test_workers_fill_each_task_to_its_overlap_and_never_twice():
    project = ProjectFactory(overlap_min=2, overlap_max=2, gold_ratio=0.3)
    TaskFactory.create_batch(3, project=project)
    TaskFactory(project=project, gold=True)
    for worker in WorkerFactory.create_batch(3):
        while claimed := assignment_claim(worker=worker, project=project):
            assignment_submit(worker=worker, assignment_id=claimed.assignment_id, answer="cat")
    regular = Task.objects.filter(project=project, is_gold=False)
    assert set(regular.values_list("answers_count", "status")) == {(2, TaskStatus.COMPLETE)}
    pairs = Assignment.objects.values_list("task_id", "worker_id")
    assert len(pairs) == len(set(pairs))
    counters = ProjectCounter.objects.aggregate(a=Sum("answers"), c=Sum("tasks_completed"))
    assert counters == {"a": 6, "c": 3}


def test_a_skipped_task_is_released_and_not_offered_again():
    project = ProjectFactory(overlap_min=1, overlap_max=1)
    task = TaskFactory(project=project)
    worker = WorkerFactory()
    claimed = assignment_claim(worker=worker, project=project)
    assignment_skip(worker=worker, assignment_id=claimed.assignment_id)
    assert Task.objects.get(pk=task.pk).slots_taken == 0
    assert assignment_claim(worker=worker, project=project) is None
    assert assignment_claim(worker=WorkerFactory(), project=project) is not None


def test_expiry_releases_the_slot_once_and_a_late_answer_needs_a_free_slot():
    project = ProjectFactory(overlap_min=1, overlap_max=1)
    task = TaskFactory(project=project)
    late, other = WorkerFactory.create_batch(2)
    claimed = assignment_claim(worker=late, project=project)
    later = timezone.now() + timedelta(hours=1)
    assert assignments_expire(now=later) == 1
    assert assignments_expire(now=later) == 0
    assert Task.objects.get(pk=task.pk).slots_taken == 0
    assignment_claim(worker=other, project=project)
    with pytest.raises(LeaseExpired):
        assignment_submit(worker=late, assignment_id=claimed.assignment_id, answer="cat")


def test_a_retried_submit_records_one_answer():
    project = ProjectFactory()
    TaskFactory(project=project)
    worker = WorkerFactory()
    claimed = assignment_claim(worker=worker, project=project)
    first = assignment_submit(
        worker=worker, assignment_id=claimed.assignment_id, answer="dog", submit_key="k1"
    )
    again = assignment_submit(
        worker=worker, assignment_id=claimed.assignment_id, answer="dog", submit_key="k1"
    )
    assert again.submitted_at == first.submitted_at
    assert Task.objects.get().answers_count == 1
