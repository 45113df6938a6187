"""factory_boy factories for the marketplace: requester accounts, projects, tasks, assignments.

``ProjectFactory`` makes an active classification project (labels ``cat`` and ``dog``) with no
gold by default; ``TaskFactory(gold=True)`` makes a gold task with the answer ``cat``.
"""

from datetime import timedelta

import factory
from django.db.models import F
from django.utils import timezone

from accounts.models import RequesterAccount, Role, User
from marketplace.models import Assignment, Project, ProjectStatus, Task, TemplateType
from marketplace.task_types import task_type
from payments.services.funds import funds_deposit

LABELS = ["cat", "dog"]


def classification_config() -> dict:
    return task_type(TemplateType.CLASSIFICATION).clean_config({"labels": LABELS})


class RequesterAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RequesterAccount

    name = factory.Sequence(lambda n: f"Organisation {n}")


class WorkerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"worker{n}@factory.example.com")
    role = Role.WORKER
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery-staple")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project
        skip_postgeneration_save = True

    account = factory.SubFactory(RequesterAccountFactory)
    title = factory.Sequence(lambda n: f"Project {n}")
    template_type = TemplateType.CLASSIFICATION
    label_config = factory.LazyFunction(classification_config)
    reward_cents = 5
    overlap_min = 3
    overlap_max = 3
    gold_ratio = 0.0
    time_limit_seconds = 600
    status = ProjectStatus.ACTIVE

    @factory.post_generation
    def funded(project, create, extracted, **kwargs):
        """Active without a reservation: approvals draw on the organisation's available funds,
        so give it some (``funded=False`` leaves the account empty)."""
        if create and extracted is not False:
            funds_deposit(
                requester_account=project.account,
                amount_cents=10_000_000,
                reference=f"factory-funds-{project.account_id}",
            )


class TaskFactory(factory.django.DjangoModelFactory):
    """``gold=True`` makes a gold task. Keeps the project's task counters in step."""

    class Meta:
        model = Task
        skip_postgeneration_save = True

    class Params:
        gold = factory.Trait(is_gold=True, gold_answer="cat")

    project = factory.SubFactory(ProjectFactory)
    data = factory.Sequence(lambda n: {"text": f"Item number {n}"})
    overlap = factory.SelfAttribute("project.overlap_max")

    @factory.post_generation
    def count_on_project(task, create, extracted, **kwargs):
        if create:
            Project.objects.filter(pk=task.project_id).update(
                tasks_count=F("tasks_count") + 1,
                gold_tasks_count=F("gold_tasks_count") + int(task.is_gold),
            )


class AssignmentFactory(factory.django.DjangoModelFactory):
    """A live assignment. It does not take a slot on the task: tests that need consistent
    counters go through ``assignment_claim``."""

    class Meta:
        model = Assignment

    task = factory.SubFactory(TaskFactory)
    worker = factory.SubFactory(WorkerFactory)
    project = factory.SelfAttribute("task.project")
    is_gold = factory.SelfAttribute("task.is_gold")
    claimed_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda a: a.claimed_at + timedelta(minutes=10))
