"""Staff set the skill-level thresholds (approved answers and gold accuracy per level).

Validated as a whole: levels distinct, and each higher level asks at least as much as the one
below on both thresholds and more on one (else it would be the same level). The change, its
audit entry and the new rows commit together; after commit the cached thresholds are dropped and
every project with a skill-level requirement has its eligibility answers invalidated, so the
claim path sees the new levels at once (workers.eligibility).
"""

from itertools import pairwise

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from workers.eligibility import eligibility_invalidate
from workers.models import AuditAction, ProjectRequirement, RequirementKind, SkillLevel
from workers.selectors.stats import (
    SKILL_LEVELS_CACHE_KEY,
    skill_levels_current,
    skill_levels_default,
)
from workers.services.audit import audit_record
from workers.services.errors import InvalidInput, NotAllowed

MAX_LEVELS = 10
MAX_LEVEL = 20
MAX_APPROVED = 10_000_000
_LOCK_KEY = 6006  # pg_advisory_xact_lock: one change at a time, also when the table is empty


def _whole_number(value, low: int, high: int) -> tuple[int | None, str]:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        else:
            return None, "A whole number."
    if not low <= value <= high:
        return None, f"Between {low} and {high}."
    return value, ""


def skill_levels_validate(levels: list[dict]) -> list[tuple[int, int, int]]:
    """Rows of ``{level, min_approved, min_gold_accuracy}`` to tuples, highest level first.
    Errors name the row: ``levels.<index>.<field>``."""
    if not isinstance(levels, list) or not levels:
        raise InvalidInput("Give at least one level.", fields={"levels": ["At least one level."]})
    if len(levels) > MAX_LEVELS:
        raise InvalidInput("Too many levels.", fields={"levels": [f"At most {MAX_LEVELS}."]})
    errors: dict[str, list[str]] = {}
    rows: list[tuple[int, int, int, int]] = []
    for index, row in enumerate(levels):
        if not isinstance(row, dict):
            errors[f"levels.{index}"] = ["An object with level, min_approved, min_gold_accuracy."]
            continue
        values = []
        for field, low, high in (
            ("level", 1, MAX_LEVEL),
            ("min_approved", 0, MAX_APPROVED),
            ("min_gold_accuracy", 0, 100),
        ):
            value, message = _whole_number(row.get(field), low, high)
            if message:
                errors[f"levels.{index}.{field}"] = [message]
            values.append(value)
        if None not in values:
            rows.append((values[0], values[1], values[2], index))
    seen: dict[int, int] = {}
    for level, _, _, index in rows:
        if level in seen:
            errors[f"levels.{index}.level"] = [f"Level {level} is given twice."]
        seen.setdefault(level, index)
    if not errors:
        ordered = sorted(rows)
        for lower, higher in pairwise(ordered):
            key = f"levels.{higher[3]}"
            if higher[1] < lower[1]:
                errors[f"{key}.min_approved"] = [
                    f"Level {higher[0]} needs at least the {lower[1]} approved answers of "
                    f"level {lower[0]}."
                ]
            if higher[2] < lower[2]:
                errors[f"{key}.min_gold_accuracy"] = [
                    f"Level {higher[0]} needs at least the {lower[2]} % of level {lower[0]}."
                ]
            if higher[1:3] == lower[1:3]:
                errors[f"{key}.level"] = [
                    f"Level {higher[0]} has the same thresholds as level {lower[0]}."
                ]
    if errors:
        raise InvalidInput("Some levels are not valid.", fields=errors)
    return [(level, approved, accuracy) for level, approved, accuracy, _ in sorted(rows)[::-1]]


def _changed(actor: User, before: list, after: list) -> None:
    audit_record(
        actor=actor,
        action=AuditAction.SKILL_LEVELS,
        worker=None,
        details={"before": [list(row) for row in before], "after": [list(row) for row in after]},
    )
    projects = list(
        ProjectRequirement.objects.filter(kind=RequirementKind.SKILL_LEVEL_AT_LEAST)
        .values_list("project_id", flat=True)
        .distinct()
    )

    def invalidate():
        cache.delete(SKILL_LEVELS_CACHE_KEY)
        for project_id in projects:
            eligibility_invalidate(project_id=project_id)

    transaction.on_commit(invalidate)


def _lock() -> list[tuple[int, int, int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    cache.delete(SKILL_LEVELS_CACHE_KEY)  # read what is committed, not a cached copy
    return skill_levels_current()


@transaction.atomic
def skill_levels_set(*, actor: User, levels: list[dict]) -> list[tuple[int, int, int]]:
    """Replace the thresholds (staff only). Returns them, highest level first."""
    if not actor.is_staff:
        raise NotAllowed("Only staff change skill levels.")
    new = skill_levels_validate(levels)
    before = _lock()
    now = timezone.now()
    SkillLevel.objects.all().delete()
    SkillLevel.objects.bulk_create(
        SkillLevel(
            level=level,
            min_approved=approved,
            min_gold_accuracy=accuracy,
            updated_by=actor,
            updated_at=now,
        )
        for level, approved, accuracy in new
    )
    _changed(actor, before, new)
    return new


@transaction.atomic
def skill_levels_reset(*, actor: User) -> list[tuple[int, int, int]]:
    """Back to the WORKFORCE_SKILL_LEVELS setting (or the built-in default)."""
    if not actor.is_staff:
        raise NotAllowed("Only staff change skill levels.")
    before = _lock()
    SkillLevel.objects.all().delete()
    after = skill_levels_default()
    _changed(actor, before, after)
    return after
