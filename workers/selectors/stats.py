"""A worker's track record on the platform, as requirements and dashboards read it.

Gold accuracy counts submitted answers to gold tasks whose answer equals the gold answer (JSON
equality in the database), over closed windows of answers only (what the worker may see).
Approval rate counts reviewed assignments only; a worker with none reviewed has 100 %, as on
MTurk, so requesters who want a track record add "approved ≥ n".
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q

from marketplace.models import Assignment, AssignmentStatus, ReviewStatus
from marketplace.selectors.quality import gold_windows_for_worker
from workers.models import SkillLevel

# (level, approved assignments at least, gold accuracy % at least), highest first. Staff edit
# them on /staff/workforce/skill-levels/ (SkillLevel rows); without rows the
# WORKFORCE_SKILL_LEVELS setting applies, and without it this default.
DEFAULT_SKILL_LEVELS = [(3, 500, 90), (2, 50, 80), (1, 0, 0)]
SKILL_LEVELS_CACHE_KEY = "workforce:skill-levels"
SKILL_LEVELS_CACHE_SECONDS = 60


def skill_levels_default() -> list[tuple[int, int, int]]:
    levels = getattr(settings, "WORKFORCE_SKILL_LEVELS", DEFAULT_SKILL_LEVELS)
    return sorted((tuple(level) for level in levels), reverse=True)


def skill_levels_current() -> list[tuple[int, int, int]]:
    """The thresholds in force, highest level first. Cached (one Redis read on the eligibility
    path); workers.services.skill_levels deletes the key when a change commits. The TTL bounds
    the one race left: a reader that read the old rows just before the commit and stores them
    just after the delete."""
    levels = cache.get(SKILL_LEVELS_CACHE_KEY)
    if levels is None:
        rows = SkillLevel.objects.order_by("-level").values_list(
            "level", "min_approved", "min_gold_accuracy"
        )
        levels = [tuple(row) for row in rows] or skill_levels_default()
        cache.set(SKILL_LEVELS_CACHE_KEY, levels, SKILL_LEVELS_CACHE_SECONDS)
    return [tuple(level) for level in levels]


@dataclass(frozen=True)
class WorkerStats:
    submitted: int
    approved: int
    rejected: int
    gold_answered: int
    gold_correct: int

    @property
    def gold_accuracy(self) -> int | None:
        """Percent of gold tasks answered right; None before the first gold answer."""
        if not self.gold_answered:
            return None
        return round(100 * self.gold_correct / self.gold_answered)

    @property
    def approval_rate(self) -> int:
        reviewed = self.approved + self.rejected
        return round(100 * self.approved / reviewed) if reviewed else 100

    @property
    def skill_level(self) -> int:
        levels = skill_levels_current()
        accuracy = self.gold_accuracy or 0
        for level, approved, min_accuracy in levels:
            if self.approved >= approved and accuracy >= min_accuracy:
                return level
        return 0


def worker_stats(*, worker_id: int, project_ids=None) -> WorkerStats:
    """The worker's track record, as the worker sees it and as requirements check it.

    Answers, approvals and rejections count gold and regular answers alike (one aggregate query
    over the worker's submitted assignments, index on worker). Gold accuracy is summed over the
    closed windows of each project (marketplace.selectors.quality.gold_windows_for_worker), so
    neither these figures nor a requirement on them moves after one answer in a way that tells
    whether it was gold (docs/security.md, "Gold cannot be told apart")."""
    queryset = Assignment.objects.filter(worker_id=worker_id, status=AssignmentStatus.SUBMITTED)
    if project_ids is not None:
        queryset = queryset.filter(project_id__in=project_ids)
    totals = queryset.aggregate(
        submitted=Count("id"),
        approved=Count("id", filter=Q(review_status=ReviewStatus.APPROVED)),
        rejected=Count("id", filter=Q(review_status=ReviewStatus.REJECTED)),
    )
    windows = gold_windows_for_worker(worker_id=worker_id, project_ids=project_ids).values()
    return WorkerStats(
        **totals,
        gold_answered=sum(window.gold_answered for window in windows),
        gold_correct=sum(window.gold_correct for window in windows),
    )
