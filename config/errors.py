"""The one domain error. Services raise it (or a subclass); the API exception handler
(config/api.py) renders it as ``{"error": {"code", "message", "fields"}}`` with its
``http_status``, and pages show ``message``. Views catch a domain error only to add something.

A subclass sets ``code`` and ``http_status`` as class attributes; a raise site may override
either for one case. ``fields`` maps a field name (or ``non_field_errors``, or a row number for
imports) to a list of messages.
"""


class DomainError(Exception):
    code = "invalid_state"
    http_status = 409

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        http_status: int | None = None,
        fields: dict[str, list[str]] | None = None,
    ):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if http_status is not None:
            self.http_status = http_status
        self.fields = fields or {}

    def __str__(self) -> str:
        return self.message
