import pytest
from django.core.management import call_command

from accounts.models import RequesterAccount, Role, User
from marketplace.management.commands.seed_demo import PASSWORD
from marketplace.models import Project, ProjectStatus, Task

pytestmark = pytest.mark.django_db


def test_demo_seed_creates_a_working_marketplace_and_is_idempotent(capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    output = capsys.readouterr().out
    assert User.objects.filter(role=Role.WORKER).count() == 3
    assert User.objects.filter(role=Role.REQUESTER).count() == 1
    assert User.objects.filter(is_staff=True).count() == 1
    assert RequesterAccount.objects.count() == 1
    project = Project.objects.get()
    assert project.status == ProjectStatus.ACTIVE
    assert project.gold_tasks_count == Task.objects.filter(is_gold=True).count() > 0
    assert project.tasks_count == Task.objects.count()
    assert "worker1@quorum.local" in output and PASSWORD in output
    assert User.objects.get(email="worker1@quorum.local").check_password(PASSWORD)
