"""Reads for workforce pages and the API. Tenancy lives here: a requester's queries start from
their organisation, so another organisation's qualifications, requirements and workers are
simply not found (404, never 403, which would confirm they exist)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Role, User
from marketplace.models import Assignment, AssignmentStatus, Project, ReviewStatus
from workers.models import (
    TESTED_KINDS,
    AuditLogEntry,
    Notification,
    ProjectRequirement,
    QualificationAttempt,
    QualificationType,
    RequesterBlock,
    WorkerQualification,
    WorkerSuspension,
)

# --- Qualifications ---------------------------------------------------------------------------


def qualification_list_for_worker() -> QuerySet[QualificationType]:
    return (
        QualificationType.objects.filter(is_active=True)
        .select_related("account")
        .annotate(question_count=Count("questions"))
        .order_by("name", "id")
    )


def qualification_get_for_worker(*, qualification_id: int) -> QualificationType:
    return get_object_or_404(qualification_list_for_worker(), pk=qualification_id)


def qualification_list_manageable(*, user: User) -> QuerySet[QualificationType]:
    queryset = (
        QualificationType.objects.select_related("account")
        .annotate(question_count=Count("questions"))
        .order_by("name", "id")
    )
    if user.is_staff:
        return queryset
    if user.is_requester:
        return queryset.filter(account_id=user.requester_account_id)
    return queryset.none()


def qualification_list_usable_for_requirements(*, user: User) -> QuerySet[QualificationType]:
    """The organisation's own types plus platform-wide ones."""
    queryset = QualificationType.objects.filter(is_active=True)
    if user.is_staff:
        return queryset
    return queryset.filter(Q(account__isnull=True) | Q(account_id=user.requester_account_id))


def qualification_get_manageable(*, user: User, qualification_id: int) -> QualificationType:
    return get_object_or_404(qualification_list_manageable(user=user), pk=qualification_id)


def grant_list_for_qualification(*, qualification: QualificationType):
    return qualification.grants.select_related("worker", "granted_by").order_by("-granted_at")


@dataclass(frozen=True)
class QualificationStatus:
    """Where a worker stands with one qualification type."""

    qualification: QualificationType
    grant: WorkerQualification | None
    open_attempt: QualificationAttempt | None
    attempts_used: int
    can_start: bool
    next_attempt_at: datetime | None
    why_not: str

    @property
    def holds(self) -> bool:
        return self.grant is not None and self.grant.is_active_at(timezone.now())


def _holds(worker: User, qualification: QualificationType, now: datetime) -> bool:
    return (
        WorkerQualification.objects.filter(
            worker=worker, qualification=qualification, revoked_at__isnull=True
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .exists()
    )


def attempt_next_allowed_at(
    *, worker: User, qualification: QualificationType, now: datetime
) -> tuple[datetime | None, str]:
    """When the worker may start an attempt (``now`` if at once, None if never) and why not.

    The test's rules as a read: the pages explain them with it and ``attempt_start`` enforces
    them with it under the worker's row lock."""
    if qualification.kind not in TESTED_KINDS or not qualification.is_active:
        return None, "This qualification has no test to take."
    if _holds(worker, qualification, now):
        return None, "You already hold this qualification."
    if WorkerQualification.objects.filter(
        worker=worker, qualification=qualification, revoked_at__isnull=False
    ).exists():
        return None, "This qualification was revoked; the test cannot be taken again."
    finished = QualificationAttempt.objects.filter(
        worker=worker, qualification=qualification, finished_at__isnull=False
    )
    if qualification.max_attempts is not None and finished.count() >= qualification.max_attempts:
        return None, f"You have used all {qualification.max_attempts} attempts."
    last = finished.order_by("-finished_at").first()
    if last is not None and not last.passed:
        retake_at = last.finished_at + timedelta(seconds=qualification.retake_delay_seconds)
        if retake_at > now:
            return retake_at, f"You can retake this test after {retake_at:%Y-%m-%d %H:%M} UTC."
    return now, ""


def qualification_status_for_worker(
    *, worker: User, qualification: QualificationType, now: datetime | None = None
) -> QualificationStatus:
    now = now or timezone.now()
    grant = WorkerQualification.objects.filter(worker=worker, qualification=qualification).first()
    attempts = QualificationAttempt.objects.filter(worker=worker, qualification=qualification)
    open_attempt = attempts.filter(finished_at__isnull=True).first()
    allowed_at, why = attempt_next_allowed_at(worker=worker, qualification=qualification, now=now)
    return QualificationStatus(
        qualification=qualification,
        grant=grant,
        open_attempt=open_attempt,
        attempts_used=attempts.filter(finished_at__isnull=False).count(),
        can_start=open_attempt is not None or (allowed_at is not None and allowed_at <= now),
        next_attempt_at=allowed_at,
        why_not=why,
    )


def attempt_get_for_worker(*, worker: User, attempt_id: int) -> QualificationAttempt:
    return get_object_or_404(
        QualificationAttempt.objects.select_related("qualification").filter(worker=worker),
        pk=attempt_id,
    )


def attempt_list_for_worker(*, worker: User) -> QuerySet[QualificationAttempt]:
    return QualificationAttempt.objects.filter(worker=worker).select_related("qualification")


def grant_list_for_worker(*, worker: User) -> QuerySet[WorkerQualification]:
    return WorkerQualification.objects.filter(worker=worker).select_related("qualification")


def notification_list_for_worker(*, worker: User) -> QuerySet[Notification]:
    return Notification.objects.filter(worker=worker)


def assignment_history_for_worker(*, worker: User) -> QuerySet[Assignment]:
    return (
        Assignment.objects.filter(worker=worker)
        .exclude(status=AssignmentStatus.LIVE)
        .select_related("project")
        .order_by("-claimed_at", "-id")
    )


# --- Projects and requirements ----------------------------------------------------------------


def project_list_manageable(*, user: User) -> QuerySet[Project]:
    queryset = Project.objects.select_related("account").annotate(
        requirement_count=Count("requirements")
    )
    if not user.is_staff:
        queryset = queryset.filter(account_id=user.requester_account_id or -1)
    return queryset.order_by("-created_at")


def project_get_manageable(*, user: User, project_id: int) -> Project:
    queryset = Project.objects.select_related("account")
    if not user.is_staff:
        queryset = queryset.filter(account_id=user.requester_account_id or -1)
    return get_object_or_404(queryset, pk=project_id)


def requirement_list_for_project(*, project: Project) -> QuerySet[ProjectRequirement]:
    return ProjectRequirement.objects.filter(project=project).select_related("qualification")


def requirement_get_manageable(*, user: User, requirement_id: int) -> ProjectRequirement:
    queryset = ProjectRequirement.objects.select_related("project")
    if not user.is_staff:
        queryset = queryset.filter(project__account_id=user.requester_account_id or -1)
    return get_object_or_404(queryset, pk=requirement_id)


# --- Workers, as requesters and staff see them --------------------------------------------------


def _worker_scope(user: User) -> Q:
    """Workers a requester may see: those with assignments on, attempts at or grants of, or a
    block by, their organisation. Staff see every worker. Per-worker EXISTS probes (index on
    the worker) rather than a scan of every answer on the organisation's projects: the first
    matching row ends each probe (bench/workforce_lists.py)."""
    account = user.requester_account_id
    return (
        Q(Exists(Assignment.objects.filter(worker=OuterRef("pk"), project__account_id=account)))
        | Q(
            Exists(
                QualificationAttempt.objects.filter(
                    worker=OuterRef("pk"), qualification__account_id=account
                )
            )
        )
        | Q(
            Exists(
                WorkerQualification.objects.filter(
                    worker=OuterRef("pk"), qualification__account_id=account
                )
            )
        )
        | Q(Exists(RequesterBlock.objects.filter(worker=OuterRef("pk"), account_id=account)))
    )


def _answer_count(user: User, **review) -> Subquery:
    """Submitted regular answers of the row's worker on the manager's projects (staff: all). A
    correlated subquery rather than a join and GROUP BY: PostgreSQL evaluates it after the sort
    and LIMIT, so a page costs 50 small index scans, and ``count()`` leaves it out."""
    answers = Assignment.objects.filter(
        worker_id=OuterRef("pk"), status=AssignmentStatus.SUBMITTED, is_gold=False, **review
    )
    if not user.is_staff:
        answers = answers.filter(project__account_id=user.requester_account_id)
    counted = answers.order_by().values("worker_id").annotate(count=Count("id")).values("count")
    return Coalesce(Subquery(counted), 0)


def worker_scope_for_manager(*, user: User) -> QuerySet[User]:
    """The workers the manager may see, by email, without figures: what a page of the worker
    list is cut from (then ``worker_annotate_for_manager`` runs on that page's ids only)."""
    workers = User.objects.filter(role=Role.WORKER)
    if user.is_requester and not user.is_staff:
        return workers.filter(_worker_scope(user)).order_by("email")
    return workers.order_by("email") if user.is_staff else workers.none()


def worker_annotate_for_manager(workers: QuerySet[User], *, user: User) -> QuerySet[User]:
    """Answer counts on the manager's projects (staff: all), blocked by the manager's
    organisation, suspended. The caller has applied the scope."""
    return (
        workers.select_related("worker_profile")
        .annotate(
            answers=_answer_count(user),
            approved=_answer_count(user, review_status=ReviewStatus.APPROVED),
            rejected=_answer_count(user, review_status=ReviewStatus.REJECTED),
            blocked=Exists(
                RequesterBlock.objects.filter(
                    worker=OuterRef("pk"),
                    account_id=user.requester_account_id or -1,
                    lifted_at__isnull=True,
                )
            ),
            suspended=Exists(
                WorkerSuspension.objects.filter(worker=OuterRef("pk"), lifted_at__isnull=True)
            ),
        )
        .order_by("email")
    )


def worker_list_for_manager(*, user: User) -> QuerySet[User]:
    """Workers with answer counts on the manager's projects (staff: on all projects)."""
    return worker_annotate_for_manager(worker_scope_for_manager(user=user), user=user)


def worker_get_for_manager(*, user: User, worker_id: int) -> User:
    return get_object_or_404(worker_list_for_manager(user=user), pk=worker_id)


def worker_assignments_for_manager(*, user: User, worker: User) -> QuerySet[Assignment]:
    """The worker's answers on the manager's projects only (staff: all), newest first."""
    queryset = (
        Assignment.objects.filter(worker=worker, status=AssignmentStatus.SUBMITTED)
        .select_related("project")
        .order_by("-submitted_at", "-id")
    )
    if not user.is_staff:
        queryset = queryset.filter(project__account_id=user.requester_account_id)
    return queryset


def worker_grants_for_manager(*, user: User, worker: User) -> QuerySet[WorkerQualification]:
    queryset = WorkerQualification.objects.filter(worker=worker).select_related("qualification")
    if not user.is_staff:
        queryset = queryset.filter(qualification__account_id=user.requester_account_id)
    return queryset


def suspension_active(*, worker: User) -> WorkerSuspension | None:
    return WorkerSuspension.objects.filter(worker=worker, lifted_at__isnull=True).first()


def audit_list(*, worker_id: int | None = None, action: str = "") -> QuerySet[AuditLogEntry]:
    queryset = AuditLogEntry.objects.select_related("actor", "worker", "account")
    if worker_id:
        queryset = queryset.filter(worker_id=worker_id)
    if action:
        queryset = queryset.filter(action=action)
    return queryset.order_by("-created_at", "-id")
