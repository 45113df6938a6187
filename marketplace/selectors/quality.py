"""Reads of worker quality shared by pages and the API (selectors)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import User
from marketplace.models import (
    Project,
    ProjectBlock,
    QualityAction,
    WorkerProjectStats,
)


def worker_stats_for_project(*, project: Project) -> QuerySet[WorkerProjectStats]:
    """Every worker with answers in the project, weakest gold accuracy first, with ``blocked``."""
    blocked = ProjectBlock.objects.filter(project=project, worker_id=OuterRef("worker_id"))
    return (
        WorkerProjectStats.objects.filter(project=project)
        .select_related("worker")
        .annotate(blocked=Exists(blocked))
        .order_by("gold_accuracy_low", "worker_id")
    )


def quality_actions_for_project(*, project: Project) -> QuerySet[QualityAction]:
    return QualityAction.objects.filter(project=project).select_related("worker")


def quality_actions_for_worker(*, worker: User) -> QuerySet[QualityAction]:
    """What quality rules and requesters did to this worker, newest first (worker dashboard)."""
    return QualityAction.objects.filter(worker=worker).select_related("project")


def project_blocks_for_worker(*, worker: User) -> QuerySet[ProjectBlock]:
    return ProjectBlock.objects.filter(worker=worker).select_related("project")


@dataclass(frozen=True)
class BudgetSaved:
    answers_saved: int
    reward_cents_saved: int


def project_budget_saved(*, project: Project) -> BudgetSaved:
    """Answers dynamic overlap did not need to collect, and their rewards (fees excluded)."""
    return BudgetSaved(project.answers_saved, project.answers_saved * project.reward_cents)
