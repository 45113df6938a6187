"""Projects: creation, edits, and the lifecycle draft → active ⇄ paused → completed → archived.

Views, the API and seeds all come through here; each function checks the current state under a
row lock before it moves it.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import RequesterAccount, User
from config.errors import DomainError
from marketplace.models import Project, ProjectStatus, Task, TaskStatus
from marketplace.services.escrow import InsufficientFundsError, escrow_release, escrow_reserve
from marketplace.task_types import ValidationProblem, task_type


class ProjectError(DomainError):
    """A refused project operation. ``errors`` (also ``fields``) maps field names to messages
    when known."""

    code, http_status = "project_refused", 400

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message, fields=errors)
        self.errors = self.fields


# Each lifecycle action: the statuses it starts from and the status it leads to. Anything else
# is refused with a message (draft → active only through publish and its checks).
ACTIONS: dict[str, tuple[set[str], str]] = {
    "publish": ({ProjectStatus.DRAFT}, ProjectStatus.ACTIVE),
    "pause": ({ProjectStatus.ACTIVE}, ProjectStatus.PAUSED),
    "resume": ({ProjectStatus.PAUSED}, ProjectStatus.ACTIVE),
    "complete": ({ProjectStatus.ACTIVE, ProjectStatus.PAUSED}, ProjectStatus.COMPLETED),
    "archive": ({ProjectStatus.DRAFT, ProjectStatus.COMPLETED}, ProjectStatus.ARCHIVED),
}


# Fields a requester may change once workers can see the project. The template, labels, reward
# and gold ratio are fixed then: answers already given were made under them.
EDITABLE_WHILE_LIVE = {
    "title",
    "description",
    "instructions",
    "priority",
    "overlap_max",
    "confidence_target",
    "time_limit_seconds",
    "auto_approve_seconds",
}
EDITABLE_WHEN_CLOSED = {"title", "description"}
EDITABLE_FIELDS = EDITABLE_WHILE_LIVE | {
    "template_type",
    "label_config",
    "reward_cents",
    "overlap_min",
    "gold_ratio",
}


def _clean(project: Project) -> None:
    """Model validation plus the template's own check of the label config."""
    errors: dict[str, list[str]] = {}
    try:
        project.full_clean(exclude=["account", "created_by"])
    except ValidationError as error:
        errors.update(error.message_dict)
    if "template_type" not in errors:
        try:
            project.label_config = task_type(project.template_type).clean_config(
                project.label_config or {}
            )
        except ValidationProblem as problem:
            errors.setdefault("label_config", []).extend(
                f"{item['field']}: {item['message']}" for item in problem.errors
            )
    if project.overlap_max < project.overlap_min:
        errors.setdefault("overlap_max", []).append(
            "Maximum overlap must be at least the minimum overlap."
        )
    if errors:
        raise ProjectError("The project has invalid fields.", errors)


def project_create(*, account: RequesterAccount, created_by: User | None, **fields) -> Project:
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ProjectError(f"Unknown project fields: {', '.join(sorted(unknown))}.")
    project = Project(account=account, created_by=created_by, **fields)
    _clean(project)
    project.save()
    return project


@transaction.atomic
def project_update(*, project: Project, **fields) -> Project:
    """Change a project's settings. Drafts change freely; live projects only the fields in
    ``EDITABLE_WHILE_LIVE`` (overlap may rise, never fall); closed projects only their name."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    allowed = {
        ProjectStatus.DRAFT: EDITABLE_FIELDS,
        ProjectStatus.ACTIVE: EDITABLE_WHILE_LIVE,
        ProjectStatus.PAUSED: EDITABLE_WHILE_LIVE,
    }.get(project.status, EDITABLE_WHEN_CLOSED)
    changed = {name: value for name, value in fields.items() if getattr(project, name) != value}
    refused = sorted(set(changed) - allowed)
    if refused:
        raise ProjectError(
            f"These fields are fixed once a project is {project.status}: {', '.join(refused)}.",
            {name: [f"Fixed once the project is {project.status}."] for name in refused},
        )
    old_overlap = project.overlap_max
    for name, value in changed.items():
        setattr(project, name, value)
    if project.status != ProjectStatus.DRAFT and project.overlap_max < old_overlap:
        raise ProjectError(
            "Overlap can only be raised on a published project.",
            {"overlap_max": [f"At least {old_overlap} (answers may already be collected)."]},
        )
    _clean(project)
    project.save()
    if project.overlap_max != old_overlap:
        _apply_overlap(project, old_overlap)
    return project


def _apply_overlap(project: Project, old_overlap: int) -> None:
    """Give regular tasks the new overlap; raising it re-opens complete tasks and, on a live
    project, reserves funds for the extra slots."""
    regular = Task.objects.filter(project=project, is_gold=False)
    if project.status != ProjectStatus.DRAFT:
        extra = project.regular_tasks_count * (project.overlap_max - old_overlap)
        try:
            escrow_reserve(project=project, regular_assignments=extra)
        except InsufficientFundsError as error:
            raise ProjectError(str(error), {"overlap_max": [str(error)]}) from error
    regular.update(overlap=project.overlap_max)
    regular.filter(status=TaskStatus.COMPLETE, answers_count__lt=project.overlap_max).update(
        status=TaskStatus.OPEN
    )


@transaction.atomic
def tasks_add(*, project: Project, items: Iterable[dict]) -> int:
    """Add a few tasks directly (seeds, tests, small API calls); files go through the import
    service. Each item has ``data`` and optionally ``external_id``, ``gold_answer``,
    ``gold_explanation``. Into a live project it reserves escrow for the new regular tasks'
    slots, as publishing does. Raises ProjectError, and writes nothing, for a closed project,
    an external id given twice or already in the project (``errors`` keyed by item index), or
    funds short of the reservation."""
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if locked.status not in (ProjectStatus.DRAFT, ProjectStatus.ACTIVE, ProjectStatus.PAUSED):
        raise ProjectError(f"A {locked.get_status_display().lower()} project takes no more tasks.")
    tasks = [
        Task(
            project=locked,
            data=item["data"],
            external_id=item.get("external_id", ""),
            is_gold=item.get("gold_answer") is not None,
            gold_answer=item.get("gold_answer"),
            gold_explanation=item.get("gold_explanation", ""),
            overlap=locked.overlap_max,
        )
        for item in items
    ]
    _check_new_external_ids(locked, tasks)
    Task.objects.bulk_create(tasks, batch_size=2000)
    gold = sum(task.is_gold for task in tasks)
    if locked.status != ProjectStatus.DRAFT and len(tasks) > gold:
        try:
            escrow_reserve(
                project=locked, regular_assignments=(len(tasks) - gold) * locked.overlap_max
            )
        except InsufficientFundsError as error:
            raise ProjectError(f"No task was added. {error}") from error
    project_count_tasks(project=locked, added=len(tasks), gold=gold)
    project.tasks_count, project.gold_tasks_count = locked.tasks_count, locked.gold_tasks_count
    return len(tasks)


def _check_new_external_ids(project: Project, tasks: list[Task]) -> None:
    """Refuse, by item index, an external id given twice or that the project already has.
    Caller holds the project's row lock (imports, the other writer, take it too)."""
    errors: dict[str, list[str]] = {}
    first: dict[str, int] = {}
    for index, task in enumerate(tasks):
        if task.external_id:
            earlier = first.setdefault(task.external_id, index)
            if earlier != index:
                errors[str(index)] = [f"external_id: {task.external_id!r} is also item {earlier}."]
    existing = set(
        Task.objects.filter(project=project, external_id__in=list(first)).values_list(
            "external_id", flat=True
        )
    )
    for external_id in sorted(existing, key=first.__getitem__):
        errors[str(first[external_id])] = [
            f"external_id: the project already has a task {external_id!r}."
        ]
    if errors:
        raise ProjectError("Some tasks are invalid; none was added.", errors)


def project_count_tasks(*, project: Project, added: int, gold: int) -> None:
    """Keep the project's task counters in step with an insert, in the caller's transaction."""
    Project.objects.filter(pk=project.pk).update(
        tasks_count=F("tasks_count") + added, gold_tasks_count=F("gold_tasks_count") + gold
    )
    project.refresh_from_db(fields=["tasks_count", "gold_tasks_count"])


def publish_problems(project: Project) -> list[str]:
    """What stands between a project and publishing; empty when it may go live."""
    problems = []
    try:
        task_type(project.template_type).clean_config(project.label_config or {})
    except ValidationProblem as problem:
        problems.extend(f"Labels: {item['field']}: {item['message']}" for item in problem.errors)
    if project.tasks_count - project.gold_tasks_count == 0:
        problems.append("Add at least one task (gold tasks alone are not a job).")
    if project.gold_ratio > 0 and project.gold_tasks_count == 0:
        problems.append("The gold ratio is above zero but the project has no gold tasks.")
    return problems


def actions_available(project: Project) -> list[str]:
    return [name for name, (sources, _) in ACTIONS.items() if project.status in sources]


def _transition(project: Project, action: str) -> Project:
    """Caller holds the row lock on ``project``."""
    sources, target = ACTIONS[action]
    if project.status not in sources:
        raise ProjectError(f"A {project.get_status_display().lower()} project cannot {action}.")
    project.status = target
    project.save(update_fields=["status", "updated_at", "published_at"])
    if target in (ProjectStatus.COMPLETED, ProjectStatus.ARCHIVED):
        escrow_release(project=project)  # unspent escrow back to available funds
    return project


@transaction.atomic
def project_publish(*, project: Project) -> Project:
    """Draft → active. Checks the template, the tasks, gold, and reserves funds."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.status != ProjectStatus.DRAFT:
        return _transition(project, "publish")  # refuses with the right message
    problems = publish_problems(project)
    if problems:
        raise ProjectError("The project cannot be published yet: " + " ".join(problems))
    try:
        escrow_reserve(
            project=project,
            regular_assignments=project.regular_tasks_count * project.overlap_max,
        )
    except InsufficientFundsError as error:
        raise ProjectError(str(error)) from error
    project.published_at = timezone.now()
    return _transition(project, "publish")


def _lifecycle_step(action: str):
    @transaction.atomic
    def step(*, project: Project) -> Project:
        return _transition(Project.objects.select_for_update().get(pk=project.pk), action)

    step.__name__ = f"project_{action}"
    return step


project_pause = _lifecycle_step("pause")
project_resume = _lifecycle_step("resume")
project_complete = _lifecycle_step("complete")
project_archive = _lifecycle_step("archive")

LIFECYCLE_ACTIONS = {
    "publish": project_publish,
    "pause": project_pause,
    "resume": project_resume,
    "complete": project_complete,
    "archive": project_archive,
}
