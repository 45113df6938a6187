"""Setting a project's requirements. A project may require its own organisation's
qualifications or platform-wide ones, never another organisation's."""

from django.db import transaction

from marketplace.models import Project
from workers.eligibility import eligibility_invalidate
from workers.models import ProjectRequirement, QualificationType, RequirementKind
from workers.models.requirements import QUALIFICATION_KINDS, VALUE_KINDS
from workers.services.errors import InvalidInput

PERCENT_KINDS = (RequirementKind.GOLD_ACCURACY_AT_LEAST, RequirementKind.APPROVAL_RATE_AT_LEAST)


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput("The requirement has invalid fields.", fields={field: [message]})


@transaction.atomic
def requirement_create(
    *,
    project: Project,
    kind: str,
    qualification: QualificationType | None = None,
    value: int | None = None,
    locales: list[str] | None = None,
) -> ProjectRequirement:
    """Preconditions: the caller may manage ``project`` (a selector found it for them)."""
    if kind not in RequirementKind.values:
        raise _invalid("kind", f"Unknown kind {kind!r}.")
    if kind in QUALIFICATION_KINDS:
        if qualification is None:
            raise _invalid("qualification", "Choose a qualification.")
        if qualification.account_id not in (None, project.account_id):
            raise _invalid("qualification", "No such qualification.")
    else:
        qualification = None
    if kind in VALUE_KINDS and value is None:
        raise _invalid("value", "A value is required for this kind.")
    if kind in PERCENT_KINDS and not 0 <= value <= 100:
        raise _invalid("value", "A percentage is between 0 and 100.")
    cleaned_locales: list[str] = []
    if kind == RequirementKind.LOCALE_IN:
        cleaned_locales = sorted({code.strip() for code in locales or [] if code.strip()})
        if not cleaned_locales or any(len(code) > 10 for code in cleaned_locales):
            raise _invalid("locales", "List country or language codes, e.g. DE, en.")
    if kind == RequirementKind.QUALIFICATION_EXISTS or kind == RequirementKind.LOCALE_IN:
        value = None
    requirement = ProjectRequirement.objects.create(
        project=project,
        kind=kind,
        qualification=qualification,
        value=value,
        locales=cleaned_locales,
    )
    transaction.on_commit(lambda: eligibility_invalidate(project_id=project.pk))
    return requirement


@transaction.atomic
def requirement_delete(*, requirement: ProjectRequirement) -> None:
    project_id = requirement.project_id
    requirement.delete()
    transaction.on_commit(lambda: eligibility_invalidate(project_id=project_id))
