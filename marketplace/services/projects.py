"""Writes on projects and tasks. Views, the API and seeds all come through here."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import RequesterAccount, User
from marketplace.models import Project, ProjectStatus, Task


class PublishError(Exception):
    """The project is not ready to be published; the message says why."""


def project_create(*, account: RequesterAccount, created_by: User | None, **fields) -> Project:
    project = Project(account=account, created_by=created_by, **fields)
    project.full_clean()
    project.save()
    return project


@transaction.atomic
def tasks_add(*, project: Project, items: Iterable[dict]) -> int:
    """Add tasks to a project and keep its counters in step. Each item has ``data`` and
    optionally ``external_id``, ``gold_answer`` and ``gold_explanation``."""
    tasks = [
        Task(
            project=project,
            data=item["data"],
            external_id=item.get("external_id", ""),
            is_gold=item.get("gold_answer") is not None,
            gold_answer=item.get("gold_answer"),
            gold_explanation=item.get("gold_explanation", ""),
            overlap=project.overlap_max,
        )
        for item in items
    ]
    Task.objects.bulk_create(tasks, batch_size=2000)
    gold = sum(task.is_gold for task in tasks)
    Project.objects.filter(pk=project.pk).update(
        tasks_count=F("tasks_count") + len(tasks),
        gold_tasks_count=F("gold_tasks_count") + gold,
    )
    project.refresh_from_db(fields=["tasks_count", "gold_tasks_count"])
    return len(tasks)


@transaction.atomic
def project_publish(*, project: Project) -> Project:
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.status not in (ProjectStatus.DRAFT, ProjectStatus.PAUSED):
        raise PublishError(f"A {project.get_status_display().lower()} project cannot be published.")
    if project.tasks_count == 0:
        raise PublishError("Add at least one task before publishing.")
    if project.gold_ratio > 0 and project.gold_tasks_count == 0:
        raise PublishError("The gold ratio is above zero but the project has no gold tasks.")
    project.status = ProjectStatus.ACTIVE
    project.published_at = project.published_at or timezone.now()
    project.save(update_fields=["status", "published_at", "updated_at"])
    return project
