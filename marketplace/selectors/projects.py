"""Reads shared by pages and the API. Tenancy lives here: a requester's queries start from
their organisation, so another organisation's rows are simply not found (404)."""

from dataclasses import dataclass

from django.db.models import QuerySet, Sum
from django.shortcuts import get_object_or_404

from accounts.models import User
from marketplace.models import (
    ImportBatch,
    Project,
    ProjectCounter,
    ProjectStatus,
    Task,
    TaskStatus,
)


def project_list_for_requester(*, user: User) -> QuerySet[Project]:
    return Project.objects.filter(account_id=user.requester_account_id).select_related("account")


def project_list_open_for_work() -> QuerySet[Project]:
    return Project.objects.filter(status=ProjectStatus.ACTIVE).select_related("account")


def project_list_visible_to(*, user: User) -> QuerySet[Project]:
    if user.is_staff:
        return Project.objects.select_related("account")
    if user.is_requester:
        return project_list_for_requester(user=user)
    return project_list_open_for_work()


def project_get_for_requester(*, user: User, project_id: int) -> Project:
    """The requester's own project, or 404 for any other (never 403: that would confirm it)."""
    return get_object_or_404(project_list_for_requester(user=user), pk=project_id)


def task_list_for_project(*, project: Project) -> QuerySet[Task]:
    return Task.objects.filter(project=project).order_by("id")


def import_batch_get_for_requester(*, user: User, batch_id: int) -> ImportBatch:
    return get_object_or_404(
        ImportBatch.objects.select_related("project").filter(
            project__account_id=user.requester_account_id
        ),
        pk=batch_id,
    )


def import_batch_list_for_project(*, project: Project) -> QuerySet[ImportBatch]:
    return project.import_batches.all()


@dataclass(frozen=True)
class ProjectProgress:
    tasks: int
    gold_tasks: int
    completed: int
    in_progress: int
    answers: int
    gold_answers: int

    @property
    def regular_tasks(self) -> int:
        return self.tasks - self.gold_tasks

    @property
    def remaining(self) -> int:
        return max(self.regular_tasks - self.completed - self.in_progress, 0)

    @property
    def percent_complete(self) -> int:
        return round(100 * self.completed / self.regular_tasks) if self.regular_tasks else 0

    @property
    def gold_share(self) -> float:
        return self.gold_answers / self.answers if self.answers else 0.0


def project_progress(*, project: Project) -> ProjectProgress:
    """Fast at a million tasks: task totals are columns on the project, answers and completions
    are a handful of counter shards, and "in progress" is a range of the partial open-task
    index (never a scan over task JSON)."""
    totals = ProjectCounter.objects.filter(project=project).aggregate(
        completed=Sum("tasks_completed"), answers=Sum("answers"), gold=Sum("gold_answers")
    )
    in_progress = Task.objects.filter(
        project=project, is_gold=False, status=TaskStatus.OPEN, slots_taken__gt=0
    ).count()
    return ProjectProgress(
        tasks=project.tasks_count,
        gold_tasks=project.gold_tasks_count,
        completed=totals["completed"] or 0,
        in_progress=in_progress,
        answers=totals["answers"] or 0,
        gold_answers=totals["gold"] or 0,
    )
