"""May this worker work on this project? Requirements (AND), requester blocks, suspensions.

``unmet_requirements`` answers from the database; ``unmet_requirements_cached`` keeps the answer
for ``ELIGIBILITY_TTL_SECONDS`` in Django's cache, keyed by (worker, project) and by two version
counters, one per worker and one per project. Granting, revoking, blocking and suspending bump
the worker's counter and changing a project's requirements bumps the project's, so the next
check misses the cache and reads the new state; other drifts (accuracy, approvals) show within
the TTL. The claim path (marketplace.services.assignments.assignment_claim) calls
``ensure_eligible`` and ``eligible_project_ids``: two cache reads when warm.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass

from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from marketplace.models import Project
from marketplace.selectors.projects import project_list_open_for_work
from marketplace.services.assignments import ProjectNotAvailable
from workers.models import (
    ProjectRequirement,
    QualificationKind,
    RequesterBlock,
    RequirementKind,
    WorkerProfile,
    WorkerQualification,
    WorkerSuspension,
)
from workers.selectors.stats import worker_stats

ELIGIBILITY_TTL_SECONDS = 60
_PREFIX = "workforce:eligibility"


@dataclass(frozen=True)
class Reason:
    """One unmet condition: ``code`` for programs, ``message`` for the worker, and what unlocks
    it (``qualification_id``/``qualification_name`` and ``unlock``: ``take_test``,
    ``request`` or ``granted_by_requester``; empty when no test helps)."""

    code: str
    message: str
    qualification_id: int | None = None
    qualification_name: str = ""
    unlock: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


class RequirementsNotMet(ProjectNotAvailable):
    code, http_status = "requirements_not_met", 403

    def __init__(self, reasons: list[Reason]):
        super().__init__(
            "You do not meet this project's requirements: "
            + "; ".join(reason.message for reason in reasons),
            errors=[{"field": "requirements", "message": reason.message} for reason in reasons],
        )
        self.reasons = reasons


def _unlock(qualification) -> str:
    if not qualification.is_active:
        return ""
    return {
        QualificationKind.TEST: "take_test",
        QualificationKind.TRAINING: "take_test",
        QualificationKind.AUTO: "request",
        QualificationKind.MANUAL: "granted_by_requester",
    }[qualification.kind]


def _locales(worker_id: int) -> set[str]:
    profile = WorkerProfile.objects.filter(user_id=worker_id).first()
    if profile is None:
        return set()
    found = {profile.country.lower()} if profile.country else set()
    found |= {code.strip().lower() for code in profile.languages.split(",") if code.strip()}
    return found


def unmet_requirements(*, worker: User, project: Project | int) -> list[Reason]:
    """Everything that keeps ``worker`` off ``project``, [] when they may work on it."""
    project_id = project if isinstance(project, int) else project.pk
    account_id = (
        Project.objects.filter(pk=project_id).values_list("account_id", flat=True).first()
        if isinstance(project, int)
        else project.account_id
    )
    if account_id is None:
        return []  # no such project: the claim reports it
    reasons: list[Reason] = []
    if WorkerSuspension.objects.filter(worker_id=worker.pk, lifted_at__isnull=True).exists():
        reasons.append(Reason("suspended", "Your account is suspended from all work."))
        return reasons
    if RequesterBlock.objects.filter(
        account_id=account_id, worker_id=worker.pk, lifted_at__isnull=True
    ).exists():
        reasons.append(Reason("blocked", "This requester has blocked you from their projects."))
        return reasons
    requirements = list(
        ProjectRequirement.objects.filter(project_id=project_id).select_related("qualification")
    )
    if not requirements:
        return reasons
    now = timezone.now()
    held = {
        grant.qualification_id: grant.value
        for grant in WorkerQualification.objects.filter(
            worker_id=worker.pk, revoked_at__isnull=True
        ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    }
    stats = None
    for requirement in requirements:
        reason = _check(requirement, worker, held)
        if reason is _NEEDS_STATS:
            stats = stats or worker_stats(worker_id=worker.pk)
            reason = _check_stats(requirement, stats, worker)
        if reason is not None:
            reasons.append(reason)
    return reasons


_NEEDS_STATS = Reason("", "")


def _check(requirement: ProjectRequirement, worker: User, held: dict[int, int]):
    kind, value, qualification = requirement.kind, requirement.value, requirement.qualification
    if kind in (
        RequirementKind.QUALIFICATION_EXISTS,
        RequirementKind.QUALIFICATION_AT_LEAST,
        RequirementKind.QUALIFICATION_EQUALS,
    ):
        have = held.get(qualification.pk)
        if kind == RequirementKind.QUALIFICATION_EXISTS and have is not None:
            return None
        if kind == RequirementKind.QUALIFICATION_AT_LEAST and have is not None and have >= value:
            return None
        if kind == RequirementKind.QUALIFICATION_EQUALS and have == value:
            return None
        wanted = {
            RequirementKind.QUALIFICATION_EXISTS: "",
            RequirementKind.QUALIFICATION_AT_LEAST: f" with a value of at least {value}",
            RequirementKind.QUALIFICATION_EQUALS: f" with a value of exactly {value}",
        }[kind]
        unlock = _unlock(qualification)
        hint = {
            "take_test": f" Pass the test “{qualification.name}” to unlock it.",
            "request": " Request it on the qualifications page.",
            "granted_by_requester": " The requester grants it by hand.",
        }.get(unlock, "")
        return Reason(
            "qualification",
            f"Requires the qualification “{qualification.name}”{wanted}.{hint}",
            qualification_id=qualification.pk,
            qualification_name=qualification.name,
            unlock=unlock,
        )
    if kind == RequirementKind.LOCALE_IN:
        # Country codes (DE) and language codes (de) compare without case: "de" matches both.
        wanted = {code.strip().lower() for code in requirement.locales}
        if wanted & _locales(worker.pk):
            return None
        return Reason(
            "locale",
            "Open only to workers in or speaking: " + ", ".join(sorted(requirement.locales)) + ".",
        )
    return _NEEDS_STATS


def _check_stats(requirement: ProjectRequirement, stats, worker: User) -> Reason | None:
    kind, value = requirement.kind, requirement.value
    if kind == RequirementKind.GOLD_ACCURACY_AT_LEAST:
        accuracy = stats.gold_accuracy
        if accuracy is not None and accuracy >= value:
            return None
        return Reason("gold_accuracy", f"Requires an accuracy on gold tasks of {value}% or more.")
    if kind == RequirementKind.APPROVED_AT_LEAST:
        if stats.approved >= value:
            return None
        return Reason(
            "approved", f"Requires {value} approved assignments (you have {stats.approved})."
        )
    if kind == RequirementKind.APPROVAL_RATE_AT_LEAST:
        if stats.approval_rate >= value:
            return None
        return Reason("approval_rate", f"Requires an approval rate of {value}% or more.")
    if kind == RequirementKind.SKILL_LEVEL_AT_LEAST:
        if stats.skill_level >= value:
            return None
        return Reason(
            "skill_level", f"Requires skill level {value} (you are at {stats.skill_level})."
        )
    return None


# --- Cache ------------------------------------------------------------------------------------


def _worker_version_key(worker_id: int) -> str:
    return f"{_PREFIX}:worker:{worker_id}"


def _project_version_key(project_id: int) -> str:
    return f"{_PREFIX}:project:{project_id}"


def unmet_requirements_cached(*, worker: User, project_id: int) -> list[Reason]:
    """One cache round trip when warm: the cached answer and both version counters are read
    together; the answer counts only if it was computed at the current versions."""
    worker_key, project_key = _worker_version_key(worker.pk), _project_version_key(project_id)
    key = f"{_PREFIX}:{worker.pk}:{project_id}"
    found = cache.get_many([key, worker_key, project_key])
    versions = (found.get(worker_key, 0), found.get(project_key, 0))
    cached = found.get(key)
    if cached is not None and tuple(cached["versions"]) == versions:
        return [Reason(**reason) for reason in cached["reasons"]]
    reasons = unmet_requirements(worker=worker, project=project_id)
    value = {"versions": versions, "reasons": [reason.as_dict() for reason in reasons]}
    cache.set(key, value, ELIGIBILITY_TTL_SECONDS)
    return reasons


def _bump(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, None)


def eligibility_invalidate(*, worker_id: int | None = None, project_id: int | None = None) -> None:
    """Forget cached answers for a worker (all projects) and/or a project (all workers)."""
    if worker_id is not None:
        _bump(_worker_version_key(worker_id))
    if project_id is not None:
        _bump(_project_version_key(project_id))


def ensure_eligible(*, worker: User, project_id: int) -> None:
    """Raise RequirementsNotMet (a ProjectNotAvailable, 403) with the reasons, if any."""
    reasons = unmet_requirements_cached(worker=worker, project_id=project_id)
    if reasons:
        raise RequirementsNotMet(reasons)


def eligible_project_ids(*, worker: User, project_ids: Iterable[int]) -> Iterator[int]:
    """The ids of ``project_ids`` the worker may work on, in order, checked lazily."""
    for project_id in project_ids:
        if not unmet_requirements_cached(worker=worker, project_id=project_id):
            yield project_id


MAX_PROJECTS_CHECKED = 50


def locked_projects(worker) -> list[dict]:
    """Active projects the worker may not work on, with the reasons."""
    locked = []
    for project in project_list_open_for_work()[:MAX_PROJECTS_CHECKED]:
        reasons = unmet_requirements_cached(worker=worker, project_id=project.pk)
        if reasons:
            locked.append({"project": project, "reasons": reasons})
    return locked
