"""Reads for the review of quality-rule flags and blocks, and the requester's worker list with
quality figures. Tenancy as in workers.selectors.workforce: a requester's queries start from
their organisation's projects, so other organisations' rows are simply not found (404)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import (
    Aggregate,
    Count,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from accounts.models import User
from marketplace.models import (
    Assignment,
    AssignmentStatus,
    ProjectBlock,
    QualityAction,
    QualityActionKind,
    QualityRule,
    WorkerProjectStats,
)
from marketplace.services.worker_stats import wilson_interval
from workers.models import REVIEWABLE_KINDS
from workers.selectors.workforce import worker_annotate_for_manager

REVIEW_STATUSES = ("open", "reviewed", "all")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class QualityActionFilters:
    kind: str = ""  # flag or block; empty: both
    status: str = "open"  # open (not reviewed yet), reviewed, all
    rule: str = ""
    project_id: int | None = None
    worker: str = ""  # a worker id, or part of an email

    @classmethod
    def from_query(cls, query) -> QualityActionFilters:
        """Unknown values fall back to no filter rather than an error: these are list filters."""
        kind = query.get("kind", "")
        status = query.get("status", "open")
        rule = query.get("rule", "")
        project = query.get("project", "")
        return cls(
            kind=kind if kind in REVIEWABLE_KINDS else "",
            status=status if status in REVIEW_STATUSES else "open",
            rule=rule if rule in QualityRule.values and rule != QualityRule.MANUAL else "",
            project_id=int(project) if project.isdigit() else None,
            worker=query.get("worker", "").strip(),
        )


def quality_action_list_reviewable(
    *, user: User, filters: QualityActionFilters | None = None
) -> QuerySet[QualityAction]:
    """Flags and blocks of quality rules, newest first, with their review (if any). Staff see
    the platform; requesters their organisation's projects; others nothing."""
    filters = filters or QualityActionFilters(status="all")
    queryset = (
        QualityAction.objects.filter(action__in=REVIEWABLE_KINDS)
        .exclude(rule=QualityRule.MANUAL)
        .select_related("project", "worker", "review", "review__reviewed_by")
        .order_by("-created_at", "-id")
    )
    if not user.is_staff:
        if not user.is_requester:
            return queryset.none()
        queryset = queryset.filter(project__account_id=user.requester_account_id)
    if filters.kind:
        queryset = queryset.filter(action=filters.kind)
    if filters.status == "open":
        queryset = queryset.filter(review__isnull=True)
    elif filters.status == "reviewed":
        queryset = queryset.filter(review__isnull=False)
    if filters.rule:
        queryset = queryset.filter(rule=filters.rule)
    if filters.project_id:
        queryset = queryset.filter(project_id=filters.project_id)
    if filters.worker.isdigit():
        queryset = queryset.filter(worker_id=int(filters.worker))
    elif filters.worker:
        queryset = queryset.filter(worker__email__icontains=filters.worker)
    return queryset


def quality_action_get_reviewable(*, user: User, quality_action_id: int) -> QualityAction:
    return get_object_or_404(quality_action_list_reviewable(user=user), pk=quality_action_id)


@dataclass(frozen=True)
class KeysetPage:
    rows: list
    next_cursor: str  # empty on the last page


def keyset_page(queryset: QuerySet, *, cursor: str = "", size: int = 50) -> KeysetPage:
    """Newest-first keyset pagination on (created_at, id): no COUNT, no OFFSET, stable while
    rows are added. ``cursor`` is ``<microseconds since the epoch>_<id>`` of the last row seen
    (URL-safe); a malformed cursor starts from the top."""
    if cursor:
        stamp, _, last_id = cursor.partition("_")
        if stamp.isdigit() and last_id.isdigit():
            created_at = _EPOCH + timedelta(microseconds=int(stamp))
            last = int(last_id)
            queryset = queryset.filter(
                Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=last)
            )
    rows = list(queryset[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = ""
    if more:
        since_epoch = rows[-1].created_at - _EPOCH
        micros = (since_epoch.days * 86_400 + since_epoch.seconds) * 1_000_000
        next_cursor = f"{micros + since_epoch.microseconds}_{rows[-1].pk}"
    return KeysetPage(rows, next_cursor)


KIND_CHOICES = [(kind, QualityActionKind(kind).label) for kind in REVIEWABLE_KINDS]
RULE_CHOICES = [(value, label) for value, label in QualityRule.choices if value != "manual"]


# --- Workers with their quality figures (requester's and staff's worker list) -----------------


class Median(Aggregate):
    """PostgreSQL's exact median of an integer column."""

    function = "percentile_disc"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = IntegerField()


def _on_projects(user: User, prefix: str = "") -> Q:
    """Rows on the manager's projects (staff: every project)."""
    return (
        Q() if user.is_staff else Q(**{f"{prefix}project__account_id": user.requester_account_id})
    )


def worker_page_with_quality(*, user: User, worker_ids: list[int]) -> list[User]:
    """One page of the worker list: the workers ``worker_ids`` (cut from
    worker_scope_for_manager, in that order) with worker_annotate_for_manager's counts, open
    (unreviewed) quality flags and project blocks on the manager's projects, and ``quality``
    (see worker_quality_attach). Cutting the page first keeps the per-worker subqueries to the
    page's rows, whatever page it is (bench/workforce_lists.py)."""
    open_flags = (
        QualityAction.objects.filter(
            _on_projects(user),
            worker_id=OuterRef("pk"),
            action=QualityActionKind.FLAG,
            review__isnull=True,
        )
        .exclude(rule=QualityRule.MANUAL)
        .values("worker_id")
        .annotate(count=Count("id"))
        .values("count")
    )
    blocks = (
        ProjectBlock.objects.filter(_on_projects(user), worker_id=OuterRef("pk"))
        .values("worker_id")
        .annotate(count=Count("id"))
        .values("count")
    )
    rows = worker_annotate_for_manager(User.objects.filter(pk__in=worker_ids), user=user).annotate(
        open_flags=Coalesce(Subquery(open_flags), 0),
        blocked_projects=Coalesce(Subquery(blocks), 0),
    )
    found = {worker.pk: worker for worker in rows}
    return worker_quality_attach(user=user, workers=[found[pk] for pk in worker_ids if pk in found])


@dataclass(frozen=True)
class WorkerQuality:
    """A worker's figures summed over the manager's projects. Gold accuracy and its Wilson
    interval are recomputed from the summed counts; agreement is weighted by answers; the
    median answer time is the exact median over those projects' answers."""

    answers: int = 0
    gold_answers: int = 0
    gold_correct: int = 0
    agreement: float | None = None
    median_duration_ms: int | None = None
    projects: tuple = ()  # (id, title) of the manager's projects the worker answered on

    @property
    def gold_accuracy(self) -> float | None:
        return self.gold_correct / self.gold_answers if self.gold_answers else None

    @property
    def gold_interval(self) -> tuple[float, float] | None:
        return wilson_interval(self.gold_correct, self.gold_answers)


def _medians(user: User, ids: list[int]) -> dict[int, int]:
    answers = Assignment.objects.filter(
        _on_projects(user),
        worker_id__in=ids,
        status=AssignmentStatus.SUBMITTED,
        duration_ms__isnull=False,
    )
    rows = answers.values("worker_id").annotate(median=Median("duration_ms"))
    return dict(rows.values_list("worker_id", "median"))


def worker_quality_attach(*, user: User, workers: list[User]) -> list[User]:
    """Set ``quality`` (a WorkerQuality) on each worker of a page: one grouped query over
    WorkerProjectStats, one for the projects' names and one for the medians, whatever the page
    size (no query per row)."""
    ids = [worker.pk for worker in workers]
    on_projects = WorkerProjectStats.objects.filter(_on_projects(user), worker_id__in=ids)
    stats = on_projects.values("worker_id").annotate(
        total_answers=Sum("answers"),
        total_gold=Sum("gold_answers"),
        total_correct=Sum("gold_correct"),
        agreement_weight=Sum("answers", filter=Q(agreement__isnull=False)),
        agreement_sum=Sum(
            F("agreement") * F("answers"),
            filter=Q(agreement__isnull=False),
            output_field=FloatField(),
        ),
    )
    projects: dict[int, list[tuple[int, str]]] = {}
    for worker_id, project_id, title in on_projects.order_by("project_id").values_list(
        "worker_id", "project_id", "project__title"
    ):
        projects.setdefault(worker_id, []).append((project_id, title))
    medians = _medians(user, ids)
    found = {}
    for row in stats:
        weight = row["agreement_weight"]
        found[row["worker_id"]] = WorkerQuality(
            answers=row["total_answers"],
            gold_answers=row["total_gold"],
            gold_correct=row["total_correct"],
            agreement=row["agreement_sum"] / weight if weight else None,
            median_duration_ms=medians.get(row["worker_id"]),
            projects=tuple(projects.get(row["worker_id"], ())),
        )
    for worker in workers:
        worker.quality = found.get(worker.pk) or WorkerQuality(
            median_duration_ms=medians.get(worker.pk)
        )
    return workers
