"""Importing tasks from requester files. Pure Python, no database: the parser streams rows, the
import service (elsewhere) writes them. Formats: docs/file-formats.md."""

from marketplace.importing.parse import (
    DEFAULT_MAX_BYTES,
    FORMATS,
    MAX_STORED_ERRORS,
    FileProblem,
    ParsedRow,
    RowError,
    TaskFileParser,
    detect_format,
    parse_task_file,
    raw_rows,
)
from marketplace.importing.rejected import RejectedRows

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FORMATS",
    "MAX_STORED_ERRORS",
    "FileProblem",
    "ParsedRow",
    "RejectedRows",
    "RowError",
    "TaskFileParser",
    "detect_format",
    "parse_task_file",
    "raw_rows",
]
