"""What the allocation services share: the refusals they raise (each with its API error code
and HTTP status), the shapes they return, and the table names their SQL uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from accounts.models import User
from config.errors import DomainError
from marketplace.models import Assignment, Project, ProjectCounter, Task

# A lease can be extended by heartbeats up to this many time limits after the claim.
MAX_LEASE_FACTOR = 3
# Gold ratios are read from the project at most this often per process (they rarely change and
# a stale ratio only shifts the gold share for a few seconds).
GOLD_RATIO_TTL_SECONDS = 30.0
CLAIM_ATTEMPTS = 3

_assignment = Assignment._meta.db_table
_task = Task._meta.db_table
_project = Project._meta.db_table
_counter = ProjectCounter._meta.db_table
_user = User._meta.db_table


class AllocationError(DomainError):
    """A refused operation; ``code`` is the API error code, the message is for the worker.
    ``errors`` lists ``{"field", "message"}`` problems of an answer, also given as ``fields``."""

    code = "invalid_state"
    http_status = 409

    def __init__(self, message: str, *, errors: list[dict] | None = None):
        fields: dict[str, list[str]] = {}
        for problem in errors or []:
            fields.setdefault(problem["field"] or "answer", []).append(problem["message"])
        super().__init__(message, fields=fields)
        self.errors = errors or []


class NotAWorker(AllocationError):
    code, http_status = "not_a_worker", 403


class AssignmentNotFound(AllocationError):
    code, http_status = "not_found", 404


class ProjectNotAvailable(AllocationError):
    code, http_status = "project_not_available", 404


class AnswerInvalid(AllocationError):
    code, http_status = "invalid", 400

    def __init__(self, message: str, *, errors: list[dict] | None = None):
        super().__init__(message, errors=errors)
        if self.fields:  # the details are in ``fields``, one per problem
            self.message = "The answer is not valid."


class LeaseExpired(AllocationError):
    code = "lease_expired"


class AlreadySubmitted(AllocationError):
    code = "already_submitted"


@dataclass(frozen=True)
class ClaimedTask:
    assignment_id: int
    expires_at: datetime
    data: Any
    project_id: int
    project_title: str
    template_type: str


@dataclass(frozen=True)
class SubmitResult:
    assignment_id: int
    submitted_at: datetime
    late: bool
    replayed: bool = False


def _require_worker(worker: User) -> None:
    if not (worker.is_active and worker.is_worker):
        raise NotAWorker("Only workers can take tasks.")
