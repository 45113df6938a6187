"""Reads of worker quality shared by pages and the API (selectors)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
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


# --- What the worker sees of their own gold accuracy ------------------------------------------

# A worker's gold accuracy is shown over closed windows of this many answers (gold and regular
# alike) per project: the figure moves only when the worker's answer count in the project
# reaches a multiple of it, whatever those answers were, so it cannot tell after an answer
# whether that answer was gold (docs/security.md, "Gold cannot be told apart").
ACCURACY_WINDOW_ANSWERS = 20


@dataclass(frozen=True)
class GoldWindows:
    """A worker's gold answers in one project, counted over closed windows only."""

    answers: int  # every submitted answer in the project, gold or regular
    gold_answered: int  # gold answers among the first ``counted`` answers
    gold_correct: int

    @property
    def counted(self) -> int:
        return self.answers - self.answers % ACCURACY_WINDOW_ANSWERS

    @property
    def answers_until_update(self) -> int:
        return ACCURACY_WINDOW_ANSWERS - self.answers % ACCURACY_WINDOW_ANSWERS


# Number the worker's submitted answers per project in submission order and count the gold
# ones among the closed windows. Gold correctness is JSON equality with the gold answer (both
# are stored cleaned by the template), as on the requester's side.
_GOLD_WINDOWS_SQL = """
SELECT project_id, max(total),
       count(*) FILTER (WHERE is_gold AND n <= total - total %% %(window)s),
       count(*) FILTER (WHERE is_gold AND correct AND n <= total - total %% %(window)s)
FROM (
    SELECT a.project_id, a.is_gold, a.is_gold AND a.answer = t.gold_answer AS correct,
           row_number() OVER (PARTITION BY a.project_id ORDER BY a.submitted_at, a.id) AS n,
           count(*) OVER (PARTITION BY a.project_id) AS total
    FROM marketplace_assignment a
    LEFT JOIN marketplace_task t ON t.id = a.task_id AND a.is_gold
    WHERE a.worker_id = %(worker)s AND a.status = 'submitted' {project_filter}
) numbered
GROUP BY project_id
"""


def gold_windows_for_worker(*, worker_id: int, project_ids=None) -> dict[int, GoldWindows]:
    """Per project (of ``project_ids``, or every one the worker answered in), the worker's
    answers and their gold answers counted over closed windows. The worker-facing figure; the
    requester's side reads ``WorkerProjectStats``, which is live."""
    params = {"worker": worker_id, "window": ACCURACY_WINDOW_ANSWERS}
    project_filter = ""
    if project_ids is not None:
        params["projects"] = list(project_ids)
        project_filter = "AND a.project_id = ANY(%(projects)s)"
    with connection.cursor() as cursor:
        cursor.execute(_GOLD_WINDOWS_SQL.format(project_filter=project_filter), params)
        rows = cursor.fetchall()
    return {
        project_id: GoldWindows(answers=total, gold_answered=answered, gold_correct=correct)
        for project_id, total, answered, correct in rows
    }
