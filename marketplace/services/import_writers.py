"""Writers for the import service: parsed rows into the task table, and duplicate external ids
within one file found by the database, so the parser keeps nothing per row.

Use a writer as a context manager: ``write`` chunks of rows, ``end_copy``, then
``find_duplicates``; in "skip bad rows" mode ``drop_duplicates`` (the first occurrence of each id
stays), and ``insert`` last. Leaving the block with an exception aborts the COPY. The caller holds
the project's row lock and the transaction: a failure anywhere rolls back every row.
"""

import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from queue import Queue

import psycopg
from django.db import connection
from psycopg.copy import QueuedLibpqWriter

from marketplace.importing import RowError
from marketplace.models import ImportBatch, Project, Task

UNIQUE_EXTERNAL_ID = "task_unique_external_id"  # the constraint on Task(project, external_id)


def _json_text_function():
    """``json.dumps`` for one value, without the per-call setup it repeats (it builds a new C
    encoder each call): a third faster on the import's hot path, same output."""
    if json.encoder.c_make_encoder is None or json.encoder.c_encode_basestring_ascii is None:
        return json.dumps

    def not_json(value):
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")

    encode = json.encoder.c_make_encoder(
        None, not_json, json.encoder.c_encode_basestring_ascii, None, ": ", ", ", False, False, True
    )
    return lambda value: "".join(encode(value, 0))


json_text = _json_text_function()


class _BoundedQueuedWriter(QueuedLibpqWriter):
    """psycopg's threaded COPY writer with a queue of 64 buffers (~2 MB) instead of 1,024
    (~32 MB): when the server falls behind (a busy machine), the parser waits sooner, so the
    import's memory does not grow with how far behind it is. Relies on psycopg 3.3's ``_queue``
    (pinned); the 64 still keep the server fed while Python parses."""

    QUEUE_BUFFERS = 64

    def __init__(self, cursor):
        super().__init__(cursor)
        self._queue = Queue(maxsize=self.QUEUE_BUFFERS)


class DuplicatesInFile(Exception):
    """A direct COPY into the task table met an external id twice. The import runs again
    through the staging table, which names every repeated line (an error path: files with
    duplicates are read twice, files without are read once and copied straight in)."""


@dataclass
class Duplicates:
    """Rows whose external id an earlier line of the same file already has."""

    count: int = 0
    errors: list[RowError] = field(default_factory=list)  # the first few, in line order


def duplicate_error(line: int, external_id: str, first_line: int) -> RowError:
    return RowError(
        line, "external_id", f"external_id {external_id!r} already on line {first_line}"
    )


class CopyWriter:
    """PostgreSQL: one COPY stream for the whole file, an order of magnitude faster than INSERT.
    A queued writer sends data from a thread, so the server inserts while Python parses.

    ``direct`` (the first import into a project with no tasks, the common big case): rows are
    copied straight into the task table, and the unique index on (project, external_id) is the
    duplicate check; meeting a repeat raises :class:`DuplicatesInFile`.
    Otherwise rows are copied, with their line numbers, into a temporary staging table, where one
    GROUP BY names every repeated id and its lines; one INSERT … ON CONFLICT DO NOTHING then
    moves them, skipping the external ids the project already has (a re-import).
    """

    COLUMNS = ("external_id", "data", "is_gold", "gold_answer", "gold_explanation")

    def __init__(self, project: Project, batch: ImportBatch, *, direct: bool):
        self.project, self.batch, self.direct = project, batch, direct
        self.copied = self.gold_copied = 0
        self._stack = ExitStack()

    def __enter__(self):
        cursor = self._stack.enter_context(connection.cursor())
        if self.direct:
            table = Task._meta.db_table
            columns = (*self.COLUMNS, "project_id", "import_batch_id", "overlap")
            self._prefix, self._extra = (
                False,
                (
                    self.project.pk,
                    self.batch.pk,
                    self.project.overlap_max,
                ),
            )
        else:
            # Dropped at commit; the DROP covers an outer transaction that has not committed.
            cursor.execute("DROP TABLE IF EXISTS import_rows, import_duplicates")
            cursor.execute(
                "CREATE TEMPORARY TABLE import_rows (line integer, external_id text, data jsonb, "
                "is_gold boolean, gold_answer jsonb, gold_explanation text) ON COMMIT DROP"
            )
            table, columns = "import_rows", ("line", *self.COLUMNS)
            self._prefix, self._extra = True, ()
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        self.copy = self._stack.enter_context(
            raw.copy(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN",
                writer=_BoundedQueuedWriter(raw),
            )
        )
        return self

    def __exit__(self, *exc_info):
        try:
            return self._stack.__exit__(*exc_info)
        except psycopg.errors.UniqueViolation as error:
            self._raise_if_duplicate(error)
            raise

    def write(self, rows) -> None:
        dumps, write_row, extra = json_text, self.copy.write_row, self._extra
        gold_rows = 0
        try:
            for row in rows:
                gold = row.gold_answer
                if gold is not None:
                    gold_rows += 1
                    gold = dumps(gold)
                values = (
                    row.external_id,
                    dumps(row.data),
                    gold is not None,
                    gold,
                    row.gold_explanation,
                    *extra,
                )
                write_row((row.line, *values) if self._prefix else values)
        except psycopg.errors.UniqueViolation as error:  # reported early by the writer thread
            self._raise_if_duplicate(error)
            raise
        self.copied += len(rows)
        self.gold_copied += gold_rows

    def end_copy(self) -> None:
        """Finish the COPY: the server has every row once this returns."""
        try:
            self._stack.close()
        except psycopg.errors.UniqueViolation as error:
            self._raise_if_duplicate(error)
            raise

    def _raise_if_duplicate(self, error: psycopg.errors.UniqueViolation) -> None:
        if self.direct and error.diag.constraint_name == UNIQUE_EXTERNAL_ID:
            raise DuplicatesInFile from error

    def find_duplicates(self, *, limit: int) -> Duplicates:
        """Every row whose external id an earlier row has, kept in ``import_duplicates``."""
        if self.direct:
            return Duplicates()  # the unique index let every row in: no repeats
        with connection.cursor() as cursor:
            # Hash aggregate over the ids; the join only touches the (usually no) repeated ones.
            cursor.execute(
                """
                CREATE TEMPORARY TABLE import_duplicates ON COMMIT DROP AS
                WITH repeated AS (
                    SELECT external_id, min(line) AS first_line FROM import_rows
                    WHERE external_id <> '' GROUP BY external_id HAVING count(*) > 1
                )
                SELECT rows.line, rows.external_id, repeated.first_line
                FROM import_rows AS rows JOIN repeated USING (external_id)
                WHERE rows.line <> repeated.first_line
                """
            )
            count = cursor.rowcount
            if not count:
                return Duplicates()
            cursor.execute(
                "SELECT line, external_id, first_line FROM import_duplicates "
                "ORDER BY line LIMIT %s",
                [limit],
            )
            return Duplicates(count, [duplicate_error(*row) for row in cursor.fetchall()])

    def duplicate_rows(self) -> Iterator[tuple[int, str, int]]:
        """(line, external_id, first line) of every repeat, in line order, streamed."""
        with connection.chunked_cursor() as cursor:
            cursor.execute(
                "SELECT line, external_id, first_line FROM import_duplicates ORDER BY line"
            )
            yield from cursor

    def drop_duplicates(self) -> None:
        """Keep only each id's first row (skip-bad-rows mode)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM import_rows USING import_duplicates "
                "WHERE import_rows.line = import_duplicates.line"
            )

    def insert(self) -> tuple[int, int]:
        """Move the rows into the task table: (tasks added, gold tasks among them)."""
        if self.direct:
            return self.copied, self.gold_copied
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                WITH inserted AS (
                    INSERT INTO {Task._meta.db_table}
                        (project_id, import_batch_id, external_id, data, is_gold, gold_answer,
                         gold_explanation, overlap)
                    SELECT %s, %s, external_id, data, is_gold, gold_answer, gold_explanation, %s
                    FROM import_rows
                    ON CONFLICT (project_id, external_id) WHERE external_id <> '' DO NOTHING
                    RETURNING is_gold
                )
                SELECT count(*), count(*) FILTER (WHERE is_gold) FROM inserted
                """,  # nosec B608 # our table names and constant SQL; values are parameters
                [self.project.pk, self.batch.pk, self.project.overlap_max],
            )
            inserted, gold = cursor.fetchone()
        return inserted, gold


def writer_for(project: Project, batch: ImportBatch, *, direct_allowed: bool):
    """The writer for this import. ``direct_allowed`` False forces the staging table."""
    direct = direct_allowed and not Task.objects.filter(project=project).exists()
    return CopyWriter(project, batch, direct=direct)
