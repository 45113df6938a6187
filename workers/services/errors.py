"""Refusals of workforce operations. ``code`` is the API error code; the message is for people."""

from config.errors import DomainError


class WorkforceError(DomainError):
    code = "invalid_state"
    http_status = 409


class InvalidInput(WorkforceError):
    code, http_status = "invalid", 400


class NotAllowed(WorkforceError):
    code, http_status = "permission_denied", 403


class NotFound(WorkforceError):
    code, http_status = "not_found", 404


class AttemptRefused(WorkforceError):
    """Retake delay, attempt limit, already qualified, not a test."""

    code = "attempt_refused"
