"""Streaming parser for task files (CSV and JSON Lines) with row-level errors.

The file is read in 64 KiB chunks and never held whole, and nothing is kept per row: memory stays
flat whatever its size. Duplicate external ids within a file are found by the database after the
rows are written (marketplace/services/import_writers.py), not here.
Problems with the file as a whole (empty, not UTF-8, binary, too large, missing columns) raise
:class:`FileProblem`; problems with a row become :class:`RowError`\\ s on that row's physical
line (the CSV header is line 1) and the row is not yielded. Every bad row is reported, not only
the first.

Usage, streaming good rows to the database in chunks while errors accumulate::

    parser = parse_task_file(upload, task_type="classification", config=project.label_config)
    for chunk in parser.chunks(2000):
        ...  # bulk_create
    parser.errors, parser.error_count, parser.rows_accepted

Preconditions: ``config`` is what ``task_type.clean_config`` returned. Formats and examples are
in docs/file-formats.md; the per-type rules live in marketplace/task_types.py.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from difflib import get_close_matches
from itertools import islice
from operator import itemgetter
from pathlib import PurePath
from typing import Any, BinaryIO, NamedTuple

from marketplace.task_types import TaskType, ValidationProblem
from marketplace.task_types import task_type as get_task_type

FORMATS = ("csv", "jsonl")
EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".jsonlines": "jsonl"}
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
MAX_STORED_ERRORS = 1000
MAX_LINE_BYTES = 8 * 1024 * 1024
MAX_EXTERNAL_ID = 200  # Task.external_id max_length
CHUNK_BYTES = 64 * 1024
ID_COLUMNS = ("external_id", "id")
GOLD_COLUMNS = ("gold_answer", "gold_explanation")
JSONL_KEYS = frozenset({"data", *ID_COLUMNS, *GOLD_COLUMNS})


class ParsedRow(NamedTuple):
    """One good row. ``gold_answer`` is None for an ordinary (non-gold) task."""

    line: int
    external_id: str
    data: dict
    gold_answer: Any
    gold_explanation: str


class RowError(NamedTuple):
    line: int
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"line": self.line, "field": self.field, "message": self.message}

    def __str__(self) -> str:
        field = f"{self.field}: " if self.field else ""
        return f"line {self.line}: {field}{self.message}"


class FileProblem(Exception):
    """The file as a whole cannot be imported; the message says why, for the requester."""

    def __init__(self, message: str, *, line: int | None = None):
        self.message = message
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)


def detect_format(filename: str | None, format: str | None = None) -> str:
    """``format`` when given, else the one the file name's extension says."""
    if format:
        if format not in FORMATS:
            raise FileProblem(f"unknown format {format!r}: use CSV or JSON Lines (.jsonl)")
        return format
    suffix = PurePath(filename or "").suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    hint = (
        " (a .json file must hold one object per line: name it .jsonl)" if suffix == ".json" else ""
    )
    raise FileProblem(
        f"cannot tell the format of {filename or 'the file'!r}: name it .csv or .jsonl{hint}"
    )


class _CheckedBytes(io.RawIOBase):
    """The upload as a raw stream that enforces the size and line limits, refuses NUL bytes and
    checks UTF-8 as it goes, so each problem names its byte offset and line. ASCII chunks skip
    the UTF-8 check (``bytes.isascii`` is a fast scan)."""

    def __init__(self, file: BinaryIO, max_bytes: int):
        self._file = file
        self._max_bytes = max_bytes
        self.offset = 0
        self._newlines = 0
        self._line_start = 0  # offset just after the last line break
        self._decoder = codecs.getincrementaldecoder("utf-8")()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self._file.read(min(len(buffer), CHUNK_BYTES)) or b""
        if isinstance(chunk, str):
            raise TypeError("open the task file in binary mode ('rb')")
        size = len(chunk)
        if not size:
            self._check_utf8(b"", final=True)
            return 0
        if self.offset + size > self._max_bytes:
            raise FileProblem(f"the file is larger than the limit of {_size_text(self._max_bytes)}")
        if not self.offset:
            _check_start(chunk)
        nul = chunk.find(b"\x00")
        if nul >= 0:
            raise FileProblem(
                f"binary content: a NUL byte at byte offset {self.offset + nul} "
                f"(line {self._line_at(chunk, nul)}); save the file as UTF-8 text",
            )
        if self._decoder.buffer or not chunk.isascii():
            self._check_utf8(chunk)
        self._newlines += chunk.count(b"\n")
        last_break = max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))
        if last_break >= 0:
            self._line_start = self.offset + last_break + 1
        self.offset += size
        if self.offset - self._line_start > MAX_LINE_BYTES:
            raise FileProblem(
                f"line {self._newlines + 1} is longer than {_size_text(MAX_LINE_BYTES)}"
            )
        buffer[:size] = chunk
        return size

    def _check_utf8(self, chunk: bytes, final: bool = False) -> None:
        pending = self._decoder.buffer
        try:
            self._decoder.decode(chunk, final)
        except UnicodeDecodeError as error:
            data = pending + chunk
            offset = self.offset - len(pending) + error.start
            line = self._newlines + data.count(b"\n", 0, error.start) + 1
            raise FileProblem(
                f"not UTF-8 text: byte 0x{data[error.start]:02X} at byte offset {offset} "
                f"(line {line}) is not valid UTF-8; save the file as UTF-8 "
                "(in Excel: 'CSV UTF-8')"
            ) from None

    def _line_at(self, chunk: bytes, index: int) -> int:
        return self._newlines + chunk.count(b"\n", 0, index) + 1


def _check_start(chunk: bytes) -> None:
    if chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileProblem("the file is UTF-16 text; save it as UTF-8 (in Excel: 'CSV UTF-8')")
    if chunk.startswith(b"PK\x03\x04"):
        raise FileProblem("this is a zip or Excel (.xlsx) file; export the sheet as CSV UTF-8")


def _size_text(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB" if size >= 1024 * 1024 else f"{size:,} bytes"


def _reject_constant(name: str):
    raise ValueError(f"{name} is not allowed in JSON")


_JSON = json.JSONDecoder(parse_constant=_reject_constant)


class TaskFileParser:
    """Reads one task file once. Iterate :meth:`rows` (or :meth:`chunks`) for the good rows;
    meanwhile ``errors`` keeps the first ``max_errors`` row errors, ``error_count`` counts them
    all, ``rows_rejected`` counts the bad rows, and ``on_rejected(line, raw, errors)`` (if given)
    sees every bad row with its raw values (CSV: the list of cells, JSONL: the line), e.g. to
    write a file of rejected rows. ``warnings`` notes columns that look like misspelt ones.

    ``require_gold`` makes a missing gold answer a row error (a gold-task upload). FileProblem
    is raised by the constructor for an unknown format, and while iterating for the rest.
    """

    def __init__(
        self,
        file: BinaryIO,
        *,
        task_type: TaskType | str,
        config: Mapping,
        format: str | None = None,
        filename: str | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_errors: int = MAX_STORED_ERRORS,
        require_gold: bool = False,
        on_rejected: Callable[[int, Any, list[RowError]], None] | None = None,
    ):
        self.task_type = get_task_type(task_type) if isinstance(task_type, str) else task_type
        self.config = config
        self.format = detect_format(filename or getattr(file, "name", None), format)
        self.header: list[str] = []
        self.warnings: list[str] = []
        self.errors: list[RowError] = []
        self.error_count = 0
        self.rows_accepted = 0
        self.rows_rejected = 0
        self.gold_accepted = 0
        self._file = file
        self._max_bytes = max_bytes
        self._max_errors = max_errors
        self._require_gold = require_gold
        self._on_rejected = on_rejected
        self._started = False

    @property
    def rows_read(self) -> int:
        """Rows read so far, blank lines aside."""
        return self.rows_accepted + self.rows_rejected

    @property
    def errors_truncated(self) -> bool:
        return self.error_count > len(self.errors)

    def rows(self) -> Iterator[ParsedRow]:
        """The good rows, in file order. The file can be read once only."""
        if self._started:
            raise RuntimeError("a TaskFileParser reads its file once")
        self._started = True
        checked = _CheckedBytes(self._file, self._max_bytes)
        raw = io.BufferedReader(checked, CHUNK_BYTES)
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        text._CHUNK_SIZE = CHUNK_BYTES  # fewer, larger decode calls
        return self._csv_rows(text) if self.format == "csv" else self._jsonl_rows(text)

    def chunks(self, size: int = 1000) -> Iterator[list[ParsedRow]]:
        """The good rows in lists of up to ``size``, for bulk inserts."""
        rows = self.rows()
        while chunk := list(islice(rows, size)):
            yield chunk

    # -- checks shared by both formats --------------------------------------------------------

    def _check(
        self,
        line: int,
        external_id: str,
        data: Any,
        gold: Any,
        explanation: str,
        nested: bool,
        gold_unreadable: bool = False,
    ) -> tuple[list[RowError], Any]:
        """Every problem with a row's data, id and gold, and the cleaned gold answer."""
        problems = [
            RowError(line, p["field"] if nested else p["field"].removeprefix("data."), p["message"])
            for p in self.task_type.data_errors(data, self.config)
        ]
        if len(external_id) > MAX_EXTERNAL_ID:
            message = f"at most {MAX_EXTERNAL_ID} characters (got {len(external_id)})"
            problems.append(RowError(line, "external_id", message))
        if gold is not None:
            try:
                gold = self.task_type.clean_answer(
                    gold, config=self.config, data=data, field="gold_answer"
                )
            except ValidationProblem as problem:
                problems.extend(RowError(line, p["field"], p["message"]) for p in problem.errors)
        elif not gold_unreadable:
            if self._require_gold:
                message = "required: every row of a gold-task upload needs a gold answer"
                problems.append(RowError(line, "gold_answer", message))
            if explanation:
                problems.append(RowError(line, "gold_explanation", "given without a gold_answer"))
        return problems, gold

    def _reject(self, line: int, raw: Any, problems: list[RowError]) -> None:
        self.rows_rejected += 1
        self.error_count += len(problems)
        room = self._max_errors - len(self.errors)
        if room > 0:
            self.errors.extend(problems[:room])
        if self._on_rejected is not None:
            self._on_rejected(line, raw, problems)

    def _no_rows(self) -> FileProblem:
        return FileProblem(
            "the file has a header but no rows" if self.header else "the file has no rows"
        )

    # -- CSV ----------------------------------------------------------------------------------

    def _csv_rows(self, text: io.TextIOWrapper) -> Iterator[ParsedRow]:
        """Hot loop: a row with no gold, good data and a new id takes the short path."""
        reader = csv.reader(text)
        try:
            header = next(reader, None)
            while header is not None and not any(cell.strip() for cell in header):
                header = next(reader, None)
            if header is None:
                raise FileProblem("the file is empty")
            columns = self._read_header(header)
            names = [name for name, _ in columns["data"]]
            get_values = itemgetter(*(index for _, index in columns["data"]))
            single = len(names) == 1
            single_name, single_index = columns["data"][0] if single else (None, None)
            id_index = columns["id"]
            gold_index, explanation_index = columns["gold_answer"], columns["gold_explanation"]
            width = len(header)
            data_errors, config = self.task_type.data_errors, self.config
            require_gold = self._require_gold
            new_row = tuple.__new__  # ParsedRow(...) without its Python-level __new__
            previous = reader.line_num
            for row in reader:
                line = previous + 1
                previous = reader.line_num
                if len(row) != width:
                    if any(row):
                        message = f"{len(row)} values, but the header has {width} columns"
                        self._reject(line, row, [RowError(line, "", message)])
                    continue
                if single:  # one data column (the common case): no zip, no tuple
                    value = row[single_index]
                    if value:
                        data = {single_name: value}
                    elif any(row):
                        data = {}
                    else:
                        continue  # a blank line, or a row of empty cells
                else:
                    values = get_values(row)
                    if "" not in values:
                        data = dict(zip(names, values, strict=True))
                    elif any(row):
                        data = {n: value for n, value in zip(names, values, strict=True) if value}
                    else:
                        continue
                external_id = row[id_index].strip() if id_index is not None else ""
                if (
                    (gold_index is None or not row[gold_index])
                    and (explanation_index is None or not row[explanation_index])
                    and not require_gold
                    and len(external_id) <= MAX_EXTERNAL_ID
                    and not data_errors(data, config)
                ):
                    self.rows_accepted += 1
                    yield new_row(ParsedRow, (line, external_id, data, None, ""))
                    continue
                parsed = self._csv_checked_row(line, row, external_id, data, columns)
                if parsed is not None:
                    yield parsed
        except csv.Error as error:
            message = str(error)
            if "field limit" in message:
                limit = csv.field_size_limit()
                message = f"a value is longer than {limit} characters (or a quote is not closed)"
            raise FileProblem(f"not valid CSV: {message}", line=reader.line_num) from None
        if not self.rows_read:
            raise self._no_rows()

    def _csv_checked_row(
        self, line: int, row: list[str], external_id: str, data: dict, columns: dict
    ) -> ParsedRow | None:
        """A row with gold or a problem: every check runs, every problem is reported."""
        gold_index, explanation_index = columns["gold_answer"], columns["gold_explanation"]
        gold = row[gold_index].strip() if gold_index is not None else ""
        explanation = row[explanation_index].strip() if explanation_index is not None else ""
        problems: list[RowError] = []
        if gold:
            try:
                gold = self.task_type.answer_from_text(gold)
            except ValidationProblem as problem:
                problems.append(RowError(line, "gold_answer", problem.errors[0]["message"]))
        unreadable = bool(problems)
        gold = None if unreadable or gold == "" else gold
        more, gold = self._check(line, external_id, data, gold, explanation, False, unreadable)
        if problems or more:
            self._reject(line, row, problems + more)
            return None
        self.rows_accepted += 1
        if gold is not None:
            self.gold_accepted += 1
        return ParsedRow(line, external_id, data, gold, explanation)

    def _read_header(self, header: list[str]) -> dict:
        """Column positions: data columns (input fields and any metadata), id and gold columns.
        Known column names match ignoring case and surrounding spaces; columns with no name (a
        spreadsheet's index column) are skipped."""
        known = {*self.task_type.input_fields, *ID_COLUMNS, *GOLD_COLUMNS}
        self.header = [
            name.strip().lower() if name.strip().lower() in known else name.strip()
            for name in header
        ]
        positions: dict[str, int] = {}
        for index, name in enumerate(self.header):
            if name in positions:
                raise FileProblem(
                    f"the column {name!r} appears twice (columns {positions[name] + 1} and "
                    f"{index + 1})",
                    line=1,
                )
            if name:
                positions[name] = index
        unknown = [name for name in positions if name not in known]
        self._check_required_columns(positions, unknown)
        for name in unknown:
            hint = get_close_matches(name.lower(), sorted(known), n=1, cutoff=0.75)
            if hint and hint[0] not in positions:
                self.warnings.append(
                    f"the column {name!r} is kept as task data; did you mean {hint[0]!r}?"
                )
        id_name = next((name for name in ID_COLUMNS if name in positions), None)
        reserved = {id_name, *GOLD_COLUMNS}
        return {
            "data": [(name, index) for name, index in positions.items() if name not in reserved],
            "id": positions[id_name] if id_name else None,
            "gold_answer": positions.get("gold_answer"),
            "gold_explanation": positions.get("gold_explanation"),
        }

    def _check_required_columns(self, positions: dict[str, int], unknown: list[str]) -> None:
        missing = []
        for group in self.task_type.required_fields:
            if positions.keys().isdisjoint(group):
                hints = [m for f in group for m in get_close_matches(f, unknown, n=1, cutoff=0.7)]
                hint = f" (is {hints[0]!r} meant to be it?)" if hints else ""
                missing.append(" or ".join(repr(field) for field in group) + hint)
        if missing:
            raise FileProblem(
                f"the header lacks the column {'; '.join(missing)}, required for a "
                f"{self.task_type.name} task (the header has: {', '.join(positions) or 'nothing'})",
                line=1,
            )

    # -- JSON Lines ---------------------------------------------------------------------------

    def _jsonl_rows(self, text: io.TextIOWrapper) -> Iterator[ParsedRow]:
        check = self._check
        for line, raw in enumerate(text, start=1):
            if raw.isspace():
                continue
            try:
                item = _JSON.decode(raw)
            except ValueError as error:
                if isinstance(error, json.JSONDecodeError):
                    message = f"not valid JSON: {error.msg} (column {error.colno})"
                else:
                    message = f"not valid JSON: {error}"
                self._reject(line, raw.rstrip("\r\n"), [RowError(line, "", message)])
                continue
            if type(item) is not dict:
                message = f"each line must be a JSON object {{...}}, got {_json_kind(item)}"
                self._reject(line, raw.rstrip("\r\n"), [RowError(line, "", message)])
                continue
            if "\\u0000" in raw or "\\ud" in raw or "\\uD" in raw:
                problem = _unstorable(raw, item)
                if problem:
                    self._reject(line, raw.rstrip("\r\n"), [RowError(line, "", problem)])
                    continue
            problems: list[RowError] = []
            nested = "data" in item
            if nested:
                data = item["data"]  # data_errors reports it when it is not an object
                for key in sorted(item.keys() - JSONL_KEYS):
                    message = "unknown key next to data (put task fields inside data)"
                    problems.append(RowError(line, key, message))
            elif item.keys().isdisjoint(JSONL_KEYS):
                data = item
            else:
                data = {key: value for key, value in item.items() if key not in JSONL_KEYS}
            external_id = _jsonl_id(line, item, problems)
            gold = item.get("gold_answer")
            explanation = item.get("gold_explanation") or ""
            if isinstance(explanation, str):
                explanation = explanation.strip()
            else:
                message = f"must be a string, got {_json_kind(explanation)}"
                problems.append(RowError(line, "gold_explanation", message))
                explanation = ""
            more, gold = check(line, external_id, data, gold, explanation, nested)
            if problems or more:
                self._reject(line, raw.rstrip("\r\n"), problems + more)
                continue
            self.rows_accepted += 1
            if gold is not None:
                self.gold_accepted += 1
            yield ParsedRow(line, external_id, data, gold, explanation)
        if not self.rows_read:
            raise self._no_rows()


def _jsonl_id(line: int, item: dict, problems: list[RowError]) -> str:
    """The row's external id: ``external_id`` or ``id``, a string or a whole number."""
    if "external_id" in item and "id" in item:
        problems.append(RowError(line, "id", "give external_id or id, not both"))
    field = "external_id" if "external_id" in item else "id"
    value = item.get(field)
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    message = f"must be a string or a whole number, got {_json_kind(value)}"
    problems.append(RowError(line, field, message))
    return ""


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null" if value is None else json.dumps(value)[:40]


def _unstorable(raw: str, item: dict) -> str | None:
    """Why PostgreSQL's jsonb cannot store this line (a NUL character, a lone surrogate)."""
    if "\\u0000" in raw:
        return "contains \\u0000 (a NUL character), which cannot be stored; remove it"
    try:
        json.dumps(item, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone UTF-16 surrogate escape (\\udXXX), which is not valid text"
    return None


def raw_rows(
    file: BinaryIO, *, format: str, lines: Iterable[int]
) -> Iterator[tuple[int, list[str] | str]]:
    """The raw values (CSV: the list of cells, JSONL: the line) of the rows on ``lines``, an
    increasing sequence of the line numbers the parser gave them, read again from ``file``.
    For rows found bad after parsing (a duplicate external id), to list them in the rejected-rows
    file. Preconditions: ``file`` has been parsed once without a FileProblem."""
    text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
    wanted = iter(lines)
    target = next(wanted, None)
    if format == "csv":
        reader = csv.reader(text)
        numbered = _csv_lines(reader)
    else:
        numbered = ((line, raw.rstrip("\r\n")) for line, raw in enumerate(text, start=1))
    for line, raw in numbered:
        if target is None:
            return
        if line == target:
            yield line, raw
            target = next(wanted, None)


def _csv_lines(reader) -> Iterator[tuple[int, list[str]]]:
    """Each CSV row with the physical line it starts on, counted as ``_csv_rows`` counts."""
    previous = 0
    for row in reader:
        yield previous + 1, row
        previous = reader.line_num


def parse_task_file(file: BinaryIO, **options) -> TaskFileParser:
    """A parser for ``file``; the options are :class:`TaskFileParser`'s."""
    return TaskFileParser(file, **options)
