"""Refusals of workforce operations. ``code`` is the API error code; the message is for people."""


class WorkforceError(Exception):
    code = "invalid_state"
    http_status = 409

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class InvalidInput(WorkforceError):
    code, http_status = "invalid", 400


class NotAllowed(WorkforceError):
    code, http_status = "permission_denied", 403


class NotFound(WorkforceError):
    code, http_status = "not_found", 404


class AttemptRefused(WorkforceError):
    """Retake delay, attempt limit, already qualified, not a test."""

    code = "attempt_refused"
