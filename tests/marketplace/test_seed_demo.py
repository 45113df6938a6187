import pytest
from django.core.management import call_command

from accounts.models import RequesterAccount, Role, User
from marketplace.management.commands.seed_demo import CROWD, PASSWORD
from marketplace.models import (
    Assignment,
    Project,
    ProjectStatus,
    QualityAction,
    Task,
    TaskStatus,
    WorkerProjectStats,
)
from marketplace.services import assignments as assignments_service
from marketplace.services.assignments import assignment_claim

pytestmark = pytest.mark.django_db


def _state():
    """Everything the seed writes that a second run could change."""
    return {
        "users": sorted(User.objects.values_list("email", "password")),
        "assignments": sorted(Assignment.objects.values_list("pk", "status", "answer")),
        "tasks": sorted(
            Task.objects.values_list("pk", "status", "answers_count", "final_label", "confidence")
        ),
        "stats": sorted(WorkerProjectStats.objects.values_list("worker_id", "updated_at")),
        "actions": QualityAction.objects.count(),
        "project": Project.objects.values_list("aggregated_at", "aggregated_answers").get(),
    }


def test_demo_seed_creates_a_working_marketplace_and_is_idempotent(capsys):
    call_command("seed_demo")
    first = _state()
    call_command("seed_demo")
    output = capsys.readouterr().out
    assert _state() == first
    assert User.objects.filter(role=Role.WORKER).count() == 3 + len(CROWD)
    assert User.objects.filter(role=Role.REQUESTER).count() == 1
    assert User.objects.filter(is_staff=True).count() == 1
    assert RequesterAccount.objects.count() == 1
    project = Project.objects.get()
    assert project.status == ProjectStatus.ACTIVE
    assert project.gold_tasks_count == Task.objects.filter(is_gold=True).count() > 0
    assert project.tasks_count == Task.objects.count()
    assert "worker1@quorum.local" in output and PASSWORD in output
    assert User.objects.get(email="worker1@quorum.local").check_password(PASSWORD)


def test_the_demo_opens_with_final_labels_worker_quality_and_a_flag():
    assignments_service._gold_ratios.clear()

    call_command("seed_demo")

    project = Project.objects.get()
    regular = Task.objects.filter(project=project, is_gold=False)
    labelled = regular.filter(final_label__isnull=False)
    assert regular.filter(status=TaskStatus.COMPLETE).count() == round(regular.count() * 2 / 3)
    assert labelled.count() >= regular.filter(status=TaskStatus.COMPLETE).count()
    assert all(0.5 < task.confidence <= 1 for task in labelled)
    assert project.aggregated_at is not None

    stats = {
        row.worker.email: row
        for row in WorkerProjectStats.objects.filter(project=project).select_related("worker")
    }
    careful, careless = [email for email, *_ in CROWD[:-1]], CROWD[-1][0]
    assert set(stats) == {*careful, careless}
    assert sum(stats[email].gold_answers for email in stats) > 0
    assert all(stats[email].agreement > stats[careless].agreement for email in careful)
    assert all(stats[email].skill is not None for email in stats)
    flags = QualityAction.objects.filter(project=project, action="flag")
    assert {action.worker.email for action in flags} == {careless}
    assert "fast_answers" in {action.rule for action in flags}

    # The visitor still finds reviews to answer.
    demo_worker = User.objects.get(email="worker1@quorum.local")
    assert assignment_claim(worker=demo_worker, project=project) is not None
