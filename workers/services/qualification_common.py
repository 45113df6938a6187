"""Small rules shared by the qualification services (authoring, attempts, grants): who manages
a qualification, who takes tests, and task-type problems as the error's ``fields``."""

from __future__ import annotations

from accounts.models import User
from marketplace.task_types import ValidationProblem
from workers.models import QualificationType
from workers.services.errors import NotAllowed, NotFound


def qualification_check_manager(*, actor: User, qualification: QualificationType) -> None:
    """Staff manage every qualification; a requester only their organisation's (404 for
    others', never confirming they exist)."""
    if actor.is_staff:
        return
    if not actor.is_requester or qualification.account_id != actor.requester_account_id:
        raise NotFound("No such qualification.")


def require_worker(worker: User) -> None:
    if not (worker.is_active and worker.is_worker):
        raise NotAllowed("Only workers take qualification tests.")


def problems_as_fields(problem: ValidationProblem, default: str) -> dict[str, list[str]]:
    """A task type's problems keyed by top-level field (``data[0].text`` -> ``data``)."""
    fields: dict[str, list[str]] = {}
    for error in problem.errors:
        name = (error["field"] or default).split("[")[0].split(".")[0] or default
        fields.setdefault(name, []).append(error["message"])
    return fields
