"""Reads for the worker's pages and API: the task feed and the assignment being worked on.

Nothing here ever returns a task's gold answer, gold explanation or ``is_gold`` to the caller's
templates: the workspace must not let a worker tell gold tasks apart.
"""

from dataclasses import dataclass

from django.db.models import Avg, IntegerField, OuterRef, Q, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import User
from marketplace.models import (
    Assignment,
    AssignmentStatus,
    Project,
    ProjectStatus,
    Task,
    WorkerProjectStats,
)
from marketplace.selectors.quality import ACCURACY_WINDOW_ANSWERS, gold_windows_for_worker


@dataclass(frozen=True)
class Accuracy:
    """The worker's gold answers in one project over closed windows: how many they gave, how
    many matched, and how many more answers (of any kind) until the figure is next updated."""

    answered: int
    correct: int
    answers_until_update: int = ACCURACY_WINDOW_ANSWERS

    @property
    def percent(self) -> int:
        return round(100 * self.correct / self.answered)


@dataclass(frozen=True)
class FeedEntry:
    project: Project
    tasks_remaining: int  # at most REMAINING_CAP + 1, shown as "1000+"
    live_assignment: int | None  # an unexpired assignment the worker can resume
    # None until a closed window of the worker's answers here holds a gold answer
    accuracy: Accuracy | None
    # The typical time a task takes here (workers' median times averaged); None before any
    # answer. What a worker weighs against the reward, like MTurk's and Toloka's "~time".
    typical_seconds: int | None = None

    @property
    def typical_time(self) -> str | None:
        return None if self.typical_seconds is None else duration_label(self.typical_seconds)

    @property
    def hourly_cents(self) -> int | None:
        """The reward per hour at the typical pace, in whole cents (rounded down)."""
        if not self.typical_seconds:
            return None
        return self.project.reward_cents * 3600 // self.typical_seconds

    @property
    def tasks_remaining_label(self) -> str:
        return (
            f"{REMAINING_CAP}+"
            if self.tasks_remaining > REMAINING_CAP
            else str(self.tasks_remaining)
        )

    @property
    def time_limit(self) -> str:
        return duration_label(self.project.time_limit_seconds)


def duration_label(seconds: int) -> str:
    """600 -> "10 min", 90 -> "1 min 30 s", 7200 -> "2 h"."""
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours} h"] * bool(hours) + [f"{minutes} min"] * bool(minutes)
    parts += [f"{seconds} s"] * bool(seconds)
    return " ".join(parts) or "0 s"


# Counting a million-task project's open tasks on every feed view would cost a scan; past this
# many the feed says "1000+".
REMAINING_CAP = 1000

# Tasks of the outer project the worker could still be given, counted up to REMAINING_CAP + 1
# rows: regular tasks with a free slot and gold tasks alike (a gold task holds no slot, so
# ``slots_taken`` stays 0 below its overlap), never one the worker has had. Counting gold too is
# what keeps the count from telling gold apart: every claim lowers it by one, gold or not. Gold
# is served only while a regular task is left (docs/allocation.md), so without one the count is
# 0, as the claim would answer.
_REMAINING_SQL = f"""
SELECT CASE WHEN EXISTS (
    SELECT 1 FROM {Task._meta.db_table} r
    WHERE r.project_id = {Project._meta.db_table}.id AND r.status = 'open' AND NOT r.is_gold
      AND r.slots_taken < r.overlap
      AND NOT EXISTS (
          SELECT 1 FROM {Assignment._meta.db_table} ra
          WHERE ra.task_id = r.id AND ra.worker_id = %s))
THEN (SELECT count(*) FROM (
    SELECT 1 FROM {Task._meta.db_table} t
    WHERE t.project_id = {Project._meta.db_table}.id AND t.status = 'open'
      AND (t.is_gold OR t.slots_taken < t.overlap)
      AND NOT EXISTS (
          SELECT 1 FROM {Assignment._meta.db_table} a
          WHERE a.task_id = t.id AND a.worker_id = %s)
    LIMIT {REMAINING_CAP + 1}) AS open_for_worker)
ELSE 0 END
"""  # nosec B608 # our table names and constant SQL; values are parameters


def worker_accuracy_by_project(*, worker: User, project_ids=None) -> dict[int, Accuracy]:
    """The worker's gold accuracy per project as the worker may see it: over closed windows of
    ``ACCURACY_WINDOW_ANSWERS`` answers (marketplace.selectors.quality), so it moves only every
    so many answers, never because of the one just given. Projects without a gold answer in a
    closed window are left out."""
    windows = gold_windows_for_worker(worker_id=worker.pk, project_ids=project_ids)
    return {
        project_id: Accuracy(
            answered=window.gold_answered,
            correct=window.gold_correct,
            answers_until_update=window.answers_until_update,
        )
        for project_id, window in windows.items()
        if window.gold_answered
    }


def task_feed_for_worker(*, worker: User) -> list[FeedEntry]:
    """Active projects that still have work for this worker (or an assignment to resume),
    highest priority first, as allocation serves them."""
    now = timezone.now()
    # Our own table names only; the worker id is a query parameter.
    remaining = RawSQL(_REMAINING_SQL, [worker.pk, worker.pk], output_field=IntegerField())  # noqa: S611  # nosec B611 # constant SQL; the worker id is a parameter
    live = Assignment.objects.filter(
        project_id=OuterRef("pk"),
        worker_id=worker.pk,
        status=AssignmentStatus.LIVE,
        expires_at__gt=now,
    ).order_by("-claimed_at")
    projects = list(
        Project.objects.filter(status=ProjectStatus.ACTIVE)
        .select_related("account")
        .annotate(
            tasks_remaining=remaining,
            live_assignment=Subquery(live.values("id")[:1]),
        )
        .filter(Q(tasks_remaining__gt=0) | Q(live_assignment__isnull=False))
        .order_by("-priority", "-created_at", "id")
    )
    ids = [project.pk for project in projects]
    accuracy = worker_accuracy_by_project(worker=worker, project_ids=ids)
    typical = typical_task_seconds(project_ids=ids)
    return [
        FeedEntry(
            project=project,
            tasks_remaining=project.tasks_remaining,
            live_assignment=project.live_assignment,
            accuracy=accuracy.get(project.pk),
            typical_seconds=typical.get(project.pk),
        )
        for project in projects
    ]


def typical_task_seconds(*, project_ids: list[int]) -> dict[int, int]:
    """Per project, the mean of its workers' median answer times (kept by the quality job in
    WorkerProjectStats, so no scan of answers), in whole seconds, at least 1."""
    rows = (
        WorkerProjectStats.objects.filter(
            project_id__in=project_ids, answers__gt=0, median_duration_ms__isnull=False
        )
        .values("project_id")
        .annotate(mean_ms=Avg("median_duration_ms"))
    )
    return {row["project_id"]: max(1, round(row["mean_ms"] / 1000)) for row in rows}


def project_get_for_work(*, project_id: int) -> Project | None:
    """The project if it is open for work, else None."""
    return Project.objects.filter(pk=project_id, status=ProjectStatus.ACTIVE).first()


def assignment_live_for_worker(*, worker: User, project: Project) -> Assignment | None:
    """The worker's newest unexpired live assignment in ``project``, to resume after a reload
    instead of claiming another task (which would leave the first one holding its slot)."""
    return (
        Assignment.objects.filter(
            worker_id=worker.pk,
            project_id=project.pk,
            status=AssignmentStatus.LIVE,
            expires_at__gt=timezone.now(),
        )
        .select_related("task")
        .order_by("-claimed_at", "-id")
        .first()
    )
