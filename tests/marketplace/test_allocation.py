"""Allocation rules through the services: who gets which task, slots, gold, release, submit."""

import importlib
import random
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.db.models import Sum
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts.models import Role
from marketplace.models import (
    Assignment,
    AssignmentStatus,
    ProjectCounter,
    ProjectStatus,
    Task,
    TaskStatus,
)
from marketplace.services import assignments as assignments_service
from marketplace.services.assignments import (
    MAX_LEASE_FACTOR,
    AlreadySubmitted,
    AnswerInvalid,
    AssignmentNotFound,
    LeaseExpired,
    NotAWorker,
    ProjectNotAvailable,
    assignment_claim,
    assignment_heartbeat,
    assignment_return,
    assignment_skip,
    assignment_submit,
    assignments_expire,
)
from marketplace.tasks import expire_assignments
from tests.marketplace.factories import ProjectFactory, TaskFactory, WorkerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_gold_ratios():
    assignments_service._gold_ratios.clear()


def task_of(claimed) -> Task:
    return Assignment.objects.select_related("task").get(pk=claimed.assignment_id).task


def counters(project) -> dict:
    return ProjectCounter.objects.filter(project=project).aggregate(
        answers=Sum("answers"), gold=Sum("gold_answers"), completed=Sum("tasks_completed")
    )


def test_worker_never_gets_the_same_task_twice():
    project = ProjectFactory()
    tasks = TaskFactory.create_batch(3, project=project)
    worker = WorkerFactory()
    seen = []
    while claimed := assignment_claim(worker=worker, project=project):
        seen.append(task_of(claimed).pk)
        assignment_submit(worker=worker, assignment_id=claimed.assignment_id, answer="cat")
    assert sorted(seen) == sorted(task.pk for task in tasks)


def test_overlap_is_never_exceeded():
    project = ProjectFactory(overlap_min=2, overlap_max=2)
    tasks = TaskFactory.create_batch(2, project=project)
    claims = [assignment_claim(worker=WorkerFactory(), project=project) for _ in range(5)]
    assert [claim is None for claim in claims] == [False, False, False, False, True]
    for task in tasks:
        task.refresh_from_db()
        assert task.slots_taken == 2
        assert Assignment.objects.filter(task=task).count() == 2


def test_tasks_in_progress_are_finished_before_new_ones_start():
    project = ProjectFactory()
    first, second, _ = TaskFactory.create_batch(3, project=project)
    worker = WorkerFactory()
    on_first = assignment_claim(worker=worker, project=project)
    assert task_of(on_first) == first
    assert task_of(assignment_claim(worker=worker, project=project)) == second
    assignment_return(worker=worker, assignment_id=on_first.assignment_id)
    # first is empty again, second has one worker on it: a newcomer joins second.
    assert task_of(assignment_claim(worker=WorkerFactory(), project=project)) == second


def test_claim_without_a_project_follows_project_priority():
    low = ProjectFactory(priority=0)
    high = ProjectFactory(priority=5)
    paused = ProjectFactory(priority=9, status=ProjectStatus.PAUSED)
    TaskFactory(project=low)
    TaskFactory(project=high)
    TaskFactory(project=paused)
    worker = WorkerFactory()
    assert assignment_claim(worker=worker).project_id == high.pk
    assert assignment_claim(worker=worker).project_id == low.pk
    assert assignment_claim(worker=worker) is None


def test_a_paused_project_hands_out_nothing():
    project = ProjectFactory(status=ProjectStatus.PAUSED)
    TaskFactory(project=project)
    with pytest.raises(ProjectNotAvailable):
        assignment_claim(worker=WorkerFactory(), project=project)


def test_a_paused_project_is_refused_at_once_not_retried_as_busy(django_assert_max_num_queries):
    project = ProjectFactory(status=ProjectStatus.PAUSED)
    TaskFactory(project=project)
    worker = WorkerFactory()
    # Without the project's status in the open-slot check this spun through every busy retry
    # (90 queries and 2 s of pauses) before refusing.
    with django_assert_max_num_queries(12), pytest.raises(ProjectNotAvailable):
        assignment_claim(worker=worker, project=project)


def test_requester_cannot_claim(make_user):
    project = ProjectFactory()
    TaskFactory(project=project)
    with pytest.raises(NotAWorker):
        assignment_claim(worker=make_user(Role.REQUESTER), project=project)
    assert not Assignment.objects.exists()


def test_gold_ratio_is_roughly_honoured_and_each_gold_task_served_once():
    random.seed(4)
    project = ProjectFactory(gold_ratio=0.3, overlap_min=1, overlap_max=1)
    TaskFactory.create_batch(200, project=project)
    TaskFactory.create_batch(80, project=project, gold=True)
    worker = WorkerFactory()
    for _ in range(100):
        assignment_claim(worker=worker, project=project)
    gold = Assignment.objects.filter(worker=worker, is_gold=True)
    assert 15 <= gold.count() <= 45
    assert gold.values("task").distinct().count() == gold.count()
    # Gold tasks start from a random point: not simply the first gold tasks by import order.
    first_gold_ids = set(
        Task.objects.filter(is_gold=True).order_by("id").values_list("id", flat=True)[:30]
    )
    assert not set(gold.values_list("task_id", flat=True)) <= first_gold_ids


def test_gold_tasks_hold_no_slot_so_every_worker_sees_each_once():
    project = ProjectFactory(gold_ratio=1.0, overlap_min=1, overlap_max=1)
    TaskFactory.create_batch(5, project=project)
    gold = TaskFactory(project=project, gold=True)
    for _ in range(4):
        worker = WorkerFactory()
        claimed = assignment_claim(worker=worker, project=project)
        assert task_of(claimed) == gold
        assignment_submit(worker=worker, assignment_id=claimed.assignment_id, answer="dog")
        assert task_of(assignment_claim(worker=worker, project=project)) != gold
    gold.refresh_from_db()
    assert (gold.slots_taken, gold.answers_count, gold.status) == (0, 0, TaskStatus.OPEN)
    assert counters(project)["gold"] == 4


def test_gold_is_not_served_once_the_worker_has_no_regular_task_left():
    project = ProjectFactory(gold_ratio=0.0)
    TaskFactory(project=project)
    TaskFactory.create_batch(3, project=project, gold=True)
    worker = WorkerFactory()
    assert not task_of(assignment_claim(worker=worker, project=project)).is_gold
    project.gold_ratio = 1.0
    project.save()
    assignments_service._gold_ratios.clear()
    # Three gold tasks are unseen, but serving them now would tell the worker they are gold.
    assert assignment_claim(worker=worker, project=project) is None


def test_a_skipped_task_is_never_offered_again_and_frees_its_slot():
    project = ProjectFactory()
    task = TaskFactory(project=project)
    worker = WorkerFactory()
    claimed = assignment_claim(worker=worker, project=project)
    assignment_skip(worker=worker, assignment_id=claimed.assignment_id)
    assert assignment_claim(worker=worker, project=project) is None
    task.refresh_from_db()
    assert task.slots_taken == 0
    assert task_of(assignment_claim(worker=WorkerFactory(), project=project)) == task


def test_return_releases_the_slot_exactly_once():
    project = ProjectFactory()
    task = TaskFactory(project=project)
    worker = WorkerFactory()
    assignment_claim(worker=WorkerFactory(), project=project)
    claimed = assignment_claim(worker=worker, project=project)
    for _ in range(2):
        returned = assignment_return(worker=worker, assignment_id=claimed.assignment_id)
        assert returned.status == AssignmentStatus.RETURNED
    task.refresh_from_db()
    assert task.slots_taken == 1


def test_expiry_releases_each_slot_once_however_often_the_sweeper_runs():
    project = ProjectFactory(time_limit_seconds=60)
    task = TaskFactory(project=project)
    assignment_claim(worker=WorkerFactory(), project=project)
    later = timezone.now() + timedelta(minutes=2)
    assert assignments_expire(now=timezone.now()) == 0
    assert assignments_expire(now=later) == 1
    assert assignments_expire(now=later) == 0
    task.refresh_from_db()
    assert task.slots_taken == 0
    assert Assignment.objects.get().status == AssignmentStatus.EXPIRED


def test_the_celery_task_sweeps_and_is_scheduled_every_minute():
    project = ProjectFactory()
    TaskFactory(project=project)
    claimed = assignment_claim(worker=WorkerFactory(), project=project)
    Assignment.objects.filter(pk=claimed.assignment_id).update(
        claimed_at=timezone.now() - timedelta(hours=2),
        expires_at=timezone.now() - timedelta(hours=1),
    )
    assert expire_assignments.delay().get() == 1
    assert expire_assignments.delay().get() == 0
    # Transactional tests elsewhere flush the table the data migration filled: run it again
    # (it is idempotent) rather than depend on test order.
    schedule_migration = importlib.import_module(
        "marketplace.migrations.0003_expire_assignments_schedule"
    )
    schedule_migration.register(django_apps, None)
    schedule_migration.register(django_apps, None)
    schedule = PeriodicTask.objects.get(task="marketplace.expire_assignments")
    assert (schedule.interval.every, schedule.interval.period, schedule.enabled) == (
        60,
        "seconds",
        True,
    )


def _expire(claimed):
    Assignment.objects.filter(pk=claimed.assignment_id).update(
        claimed_at=timezone.now() - timedelta(hours=2),
        expires_at=timezone.now() - timedelta(hours=1),
    )


def test_a_late_answer_after_the_sweeper_released_it_is_refused_even_with_a_free_slot():
    # The same rule for gold and regular tasks: keeping late regular answers only while a slot
    # was free (and late gold answers always) told gold apart (docs/security.md).
    project = ProjectFactory()
    task = TaskFactory(project=project)
    worker = WorkerFactory()
    claimed = assignment_claim(worker=worker, project=project)
    _expire(claimed)
    assignments_expire()
    with pytest.raises(LeaseExpired, match="ran out"):
        assignment_submit(worker=worker, assignment_id=claimed.assignment_id, answer="cat")
    task.refresh_from_db()
    assert (task.slots_taken, task.answers_count) == (0, 0)
    assert Assignment.objects.get().status == AssignmentStatus.EXPIRED


def test_a_late_answer_to_a_gold_task_is_refused_like_any_other():
    project = ProjectFactory(gold_ratio=1.0)
    TaskFactory(project=project)
    gold = TaskFactory(project=project, gold=True)
    worker = WorkerFactory()
    claimed = assignment_claim(worker=worker, project=project)
    assert task_of(claimed) == gold
    _expire(claimed)
    assignments_expire()
    with pytest.raises(LeaseExpired, match="ran out"):
        assignment_submit(worker=worker, assignment_id=claimed.assignment_id, answer="cat")
    assert Assignment.objects.get().answer is None


def test_a_late_answer_before_the_sweeper_ran_is_kept():
    project = ProjectFactory()
    TaskFactory(project=project)
    worker = WorkerFactory()
    claimed = assignment_claim(worker=worker, project=project)
    _expire(claimed)
    assert assignment_submit(worker=worker, assignment_id=claimed.assignment_id, answer="cat").late


def test_a_late_answer_is_refused_when_the_slot_went_to_someone_else():
    project = ProjectFactory(overlap_min=1, overlap_max=1)
    task = TaskFactory(project=project)
    worker = WorkerFactory()
    claimed = assignment_claim(worker=worker, project=project)
    _expire(claimed)
    assignments_expire()
    assert task_of(assignment_claim(worker=WorkerFactory(), project=project)) == task
    with pytest.raises(LeaseExpired, match="ran out"):
        assignment_submit(worker=worker, assignment_id=claimed.assignment_id, answer="cat")
    mine = Assignment.objects.get(pk=claimed.assignment_id)
    assert (mine.status, mine.answer) == (AssignmentStatus.EXPIRED, None)
    task.refresh_from_db()
    assert (task.slots_taken, task.answers_count) == (1, 0)


def test_a_retried_submit_records_one_answer_and_returns_the_same_result():
    project = ProjectFactory()
    TaskFactory(project=project)
    worker = WorkerFactory()
    claimed = assignment_claim(worker=worker, project=project)
    first = assignment_submit(
        worker=worker, assignment_id=claimed.assignment_id, answer="cat", submit_key="k1"
    )
    by_key = assignment_submit(
        worker=worker, assignment_id=claimed.assignment_id, answer="cat", submit_key="k1"
    )
    by_answer = assignment_submit(worker=worker, assignment_id=claimed.assignment_id, answer="cat")
    assert (by_key.submitted_at, by_key.late) == (first.submitted_at, first.late)
    assert (by_answer.submitted_at, by_answer.late) == (first.submitted_at, first.late)
    assert by_key.replayed and by_answer.replayed and not first.replayed
    with pytest.raises(AlreadySubmitted):
        assignment_submit(worker=worker, assignment_id=claimed.assignment_id, answer="dog")
    assert Task.objects.get().answers_count == 1
    assert counters(project)["answers"] == 1


def test_the_task_completes_when_its_answers_reach_the_overlap():
    project = ProjectFactory(overlap_min=2, overlap_max=2)
    task = TaskFactory(project=project)
    for answer in ["cat", "dog"]:
        worker = WorkerFactory()
        claimed = assignment_claim(worker=worker, project=project)
        assignment_submit(worker=worker, assignment_id=claimed.assignment_id, answer=answer)
    task.refresh_from_db()
    assert (task.status, task.answers_count, task.slots_taken) == (TaskStatus.COMPLETE, 2, 2)
    assert counters(project) == {"answers": 2, "gold": 0, "completed": 1}
    assert ProjectCounter.objects.filter(project=project).count() <= ProjectCounter.SHARDS


def test_answer_validation_errors_name_the_field():
    project = ProjectFactory()
    TaskFactory(project=project)
    worker = WorkerFactory()
    claimed = assignment_claim(worker=worker, project=project)
    with pytest.raises(AnswerInvalid) as refused:
        assignment_submit(worker=worker, assignment_id=claimed.assignment_id, answer="horse")
    assert refused.value.errors[0]["field"] == "answer"
    assert "horse" in refused.value.errors[0]["message"]
    assert Assignment.objects.get().status == AssignmentStatus.LIVE


def test_another_workers_assignment_is_not_found():
    project = ProjectFactory()
    TaskFactory(project=project)
    claimed = assignment_claim(worker=WorkerFactory(), project=project)
    stranger = WorkerFactory()
    with pytest.raises(AssignmentNotFound):
        assignment_submit(worker=stranger, assignment_id=claimed.assignment_id, answer="cat")
    with pytest.raises(AssignmentNotFound):
        assignment_skip(worker=stranger, assignment_id=claimed.assignment_id)
    assert Assignment.objects.get().status == AssignmentStatus.LIVE


def test_a_skipped_assignment_cannot_be_submitted():
    project = ProjectFactory()
    TaskFactory(project=project)
    worker = WorkerFactory()
    claimed = assignment_claim(worker=worker, project=project)
    assignment_skip(worker=worker, assignment_id=claimed.assignment_id)
    with pytest.raises(Exception, match="skipped"):
        assignment_submit(worker=worker, assignment_id=claimed.assignment_id, answer="cat")


def test_heartbeat_extends_the_lease_up_to_a_bound():
    project = ProjectFactory(time_limit_seconds=100)
    TaskFactory(project=project)
    worker = WorkerFactory()
    claimed = assignment_claim(worker=worker, project=project)
    start = Assignment.objects.get().claimed_at
    expiries = [
        assignment_heartbeat(
            worker=worker, assignment_id=claimed.assignment_id, now=start + timedelta(seconds=s)
        ).expires_at
        - start
        for s in (80, 160, 240, 290)
    ]
    cap = 100 * MAX_LEASE_FACTOR
    assert [e.total_seconds() for e in expiries] == [180, 260, min(340, cap), cap]
    with pytest.raises(LeaseExpired):
        assignment_heartbeat(
            worker=worker, assignment_id=claimed.assignment_id, now=start + timedelta(hours=1)
        )
