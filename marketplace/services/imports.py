"""Importing task files: store the upload, parse it as a stream, write tasks in bulk, atomically.

All or nothing (the default): rows are written inside one transaction while the file streams, and
the transaction is rolled back if any row was bad, so a rejected file leaves no task behind.
Skip bad rows: good rows are committed, rejected ones are listed in a downloadable CSV.
Re-importing rows whose ``external_id`` the project already has adds nothing (idempotent).
On PostgreSQL rows go in through COPY into a temporary table, then one INSERT … ON CONFLICT DO
NOTHING; other databases use bulk_create. Progress of a running import lives in the cache, as the
rows it counts are not committed (and so not visible) until the end.
"""

import csv
import io
import json
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from psycopg.copy import QueuedLibpqWriter

from accounts.models import User
from marketplace.importing import FileProblem, detect_format, parse_task_file
from marketplace.models import (
    ImportBatch,
    ImportMode,
    ImportStatus,
    Project,
    ProjectStatus,
    Task,
)
from marketplace.services.projects import project_count_tasks

CHUNK_ROWS = 5000
PROGRESS_EVERY_ROWS = 20_000
STORED_ERRORS = 200


class ImportRefusedError(Exception):
    """The upload is refused before any row is read; the message says why."""


class _RollBack(Exception):
    """Raised inside the import transaction to undo it when a bad row was found."""


def progress_key(batch_id: int) -> str:
    return f"import-progress:{batch_id}"  # read by ImportBatch.progress_rows


def import_start(
    *,
    project: Project,
    uploaded_by: User | None,
    upload: UploadedFile,
    mode: str = ImportMode.ALL_OR_NOTHING,
    gold_only: bool = False,
) -> ImportBatch:
    """Store the upload as an import batch, then import it now (small files) or in the
    background (large ones, see settings.IMPORT_BACKGROUND_BYTES)."""
    if project.status not in (ProjectStatus.DRAFT, ProjectStatus.ACTIVE, ProjectStatus.PAUSED):
        raise ImportRefusedError(
            f"A {project.get_status_display().lower()} project takes no more tasks."
        )
    try:
        file_format = detect_format(upload.name)
    except FileProblem as problem:
        raise ImportRefusedError(str(problem)) from problem
    if upload.size == 0:
        raise ImportRefusedError("The file is empty.")
    if upload.size > settings.IMPORT_MAX_BYTES:
        raise ImportRefusedError(
            f"The file is {upload.size / 2**20:.0f} MB; the limit is "
            f"{settings.IMPORT_MAX_BYTES / 2**20:.0f} MB."
        )
    batch = ImportBatch(
        project=project,
        uploaded_by=uploaded_by,
        file_name=upload.name[:255],
        file_size=upload.size,
        format=file_format,
        mode=mode,
        gold_only=gold_only,
    )
    batch.file.save(upload.name, upload, save=False)
    batch.save()
    if upload.size <= settings.IMPORT_BACKGROUND_BYTES:
        import_run(batch_id=batch.pk)
        batch.refresh_from_db()
    else:
        from marketplace.importing.tasks import run_import

        transaction.on_commit(lambda: run_import.delay(batch.pk))
    return batch


def import_run(*, batch_id: int) -> ImportBatch:
    """Run a pending import. Safe to call twice: a batch that is not pending is left alone."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().select_related("project").get(pk=batch_id)
        if batch.status != ImportStatus.PENDING:
            return batch
        batch.status = ImportStatus.RUNNING
        batch.started_at = timezone.now()
        batch.save(update_fields=["status", "started_at"])
    try:
        outcome = _import_file(batch)
    except FileProblem as problem:
        _finish(batch, ImportStatus.FAILED, error_message=str(problem))
    except Exception:
        _finish(batch, ImportStatus.FAILED, error_message="The import failed unexpectedly.")
        raise
    else:
        _finish(batch, outcome.status, outcome=outcome)
    finally:
        cache.delete(progress_key(batch.pk))
    return batch


@dataclass
class _Outcome:
    status: str
    rows_read: int
    inserted: int
    gold_inserted: int
    rejected: int
    errors: list[dict]
    rejected_file: File | None = None


def _import_file(batch: ImportBatch) -> _Outcome:
    project = batch.project
    keep_good_rows = batch.mode == ImportMode.SKIP_BAD_ROWS
    rejected = _RejectedRows() if keep_good_rows else None
    with batch.file.open("rb") as stream:
        parser = parse_task_file(
            stream,
            task_type=project.template_type,
            config=project.label_config,
            format=batch.format,
            max_bytes=settings.IMPORT_MAX_BYTES,
            max_errors=STORED_ERRORS,
            require_gold=batch.gold_only,
            on_rejected=rejected.add if rejected else None,
        )
        try:
            with transaction.atomic():
                # One import at a time per project: external-id checks and counters stay exact.
                Project.objects.select_for_update().filter(pk=project.pk).first()
                with _writer_for(project, batch) as writer:
                    for chunk in parser.chunks(CHUNK_ROWS):
                        writer.write(chunk)
                        if parser.rows_read % PROGRESS_EVERY_ROWS < CHUNK_ROWS:
                            cache.set(progress_key(batch.pk), parser.rows_read, 3600)
                    if parser.rows_rejected and not keep_good_rows:
                        raise _RollBack
                    inserted, gold = writer.finish()
                project_count_tasks(project=project, added=inserted, gold=gold)
        except _RollBack:
            inserted = gold = 0
        except BaseException:
            if rejected:
                rejected.close()
            raise
    failed = bool(parser.rows_rejected) and not keep_good_rows
    return _Outcome(
        status=ImportStatus.FAILED if failed else ImportStatus.SUCCEEDED,
        rows_read=parser.rows_read,
        inserted=inserted,
        gold_inserted=gold,
        rejected=parser.rows_rejected,
        errors=[error.as_dict() for error in parser.errors],
        rejected_file=rejected.file(parser.header) if rejected and parser.rows_rejected else None,
    )


class _RejectedRows:
    """Streams every rejected row, with its problems, to a temporary CSV the requester can
    download, fix and upload again. Memory stays flat however many rows are bad."""

    def __init__(self):
        # Closed by close() or by the storage once saved: the File wrapper owns it.
        self.handle = tempfile.TemporaryFile(mode="w+b")  # noqa: SIM115
        self.text = io.TextIOWrapper(self.handle, encoding="utf-8", newline="")
        self.writer = csv.writer(self.text)

    def add(self, line: int, raw, errors) -> None:
        problems = "; ".join(f"{error.field}: {error.message}" for error in errors)
        cells = raw if isinstance(raw, list) else [raw]
        self.writer.writerow([line, problems, *cells])

    def file(self, header: list[str]) -> File:
        self.text.flush()
        self.handle.seek(0)
        out = tempfile.TemporaryFile(mode="w+b")  # noqa: SIM115
        head = io.TextIOWrapper(out, encoding="utf-8", newline="")
        csv.writer(head).writerow(["line", "problems", *(header or ["raw"])])
        head.flush()
        head.detach()
        while chunk := self.handle.read(1 << 20):
            out.write(chunk)
        self.close()
        out.seek(0)
        return File(out, name="rejected.csv")

    def close(self) -> None:
        self.text.close()


def _finish(batch: ImportBatch, status: str, *, outcome=None, error_message: str = "") -> None:
    batch.status = status
    batch.finished_at = timezone.now()
    batch.error_message = error_message
    if outcome is not None:
        batch.rows_read = outcome.rows_read
        batch.rows_accepted = outcome.inserted
        batch.gold_accepted = outcome.gold_inserted
        batch.rows_rejected = outcome.rejected
        batch.errors = outcome.errors
        if outcome.status == ImportStatus.FAILED:
            batch.error_message = (
                f"{outcome.rejected} of {outcome.rows_read} rows have problems, so nothing was "
                "imported. Fix them, or import with “import the good rows”."
            )
        if outcome.rejected_file is not None:
            batch.rejected_file.save(f"rejected-{batch.pk}.csv", outcome.rejected_file, False)
    batch.save()


# --- Writers ----------------------------------------------------------------------------------


class _OrmWriter:
    """Any database: bulk_create, skipping rows whose external_id the project already has."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False

    def __init__(self, project: Project, batch: ImportBatch):
        self.project, self.batch = project, batch
        self.before = Task.objects.filter(project=project).count()
        self.gold_before = Task.objects.filter(project=project, is_gold=True).count()

    def write(self, rows) -> None:
        Task.objects.bulk_create(
            [
                Task(
                    project=self.project,
                    import_batch=self.batch,
                    external_id=row.external_id,
                    data=row.data,
                    is_gold=row.gold_answer is not None,
                    gold_answer=row.gold_answer,
                    gold_explanation=row.gold_explanation,
                    overlap=self.project.overlap_max,
                )
                for row in rows
            ],
            ignore_conflicts=True,
        )

    def finish(self) -> tuple[int, int]:
        tasks = Task.objects.filter(project=self.project)
        return (
            tasks.count() - self.before,
            tasks.filter(Q(is_gold=True)).count() - self.gold_before,
        )


class _CopyWriter:
    """PostgreSQL: one COPY stream for the whole file, an order of magnitude faster than INSERT.
    A queued writer sends data from a thread, so the server inserts while Python parses.

    Into a project with no tasks yet (the common first import) rows are copied straight into the
    task table: the parser already refused duplicate external ids within the file. Otherwise
    they are copied into a temporary table and moved with one INSERT … ON CONFLICT DO NOTHING,
    so a re-import skips the external ids the project already has.
    Use as a context manager: leaving it with an exception aborts the COPY.
    """

    COLUMNS = ("external_id", "data", "is_gold", "gold_answer", "gold_explanation")

    def __init__(self, project: Project, batch: ImportBatch):
        self.project, self.batch = project, batch
        self.direct = not Task.objects.filter(project=project).exists()
        self.copied = self.gold_copied = 0
        self._stack = ExitStack()

    def __enter__(self):
        cursor = self._stack.enter_context(connection.cursor())
        if self.direct:
            table = Task._meta.db_table
            columns = (*self.COLUMNS, "project_id", "import_batch_id", "overlap")
            self.extra = (self.project.pk, self.batch.pk, self.project.overlap_max)
        else:
            # Dropped at commit; the DROP covers an outer transaction that has not committed.
            cursor.execute("DROP TABLE IF EXISTS import_rows")
            cursor.execute(
                "CREATE TEMPORARY TABLE import_rows (external_id text, data jsonb, "
                "is_gold boolean, gold_answer jsonb, gold_explanation text) ON COMMIT DROP"
            )
            table, columns, self.extra = "import_rows", self.COLUMNS, ()
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        self.copy = self._stack.enter_context(
            raw.copy(
                f"COPY {table} ({', '.join(columns)}) FROM STDIN",
                writer=QueuedLibpqWriter(raw),
            )
        )
        return self

    def __exit__(self, *exc_info):
        return self._stack.__exit__(*exc_info)

    def write(self, rows) -> None:
        dumps, write_row, extra = json.dumps, self.copy.write_row, self.extra
        gold_rows = 0
        for row in rows:
            gold = row.gold_answer
            if gold is not None:
                gold_rows += 1
                gold = dumps(gold)
            write_row(
                (
                    row.external_id,
                    dumps(row.data),
                    gold is not None,
                    gold,
                    row.gold_explanation,
                    *extra,
                )
            )
        self.copied += len(rows)
        self.gold_copied += gold_rows

    def finish(self) -> tuple[int, int]:
        self._stack.close()  # ends the COPY: the server has every row once this returns
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
                """,
                [self.project.pk, self.batch.pk, self.project.overlap_max],
            )
            inserted, gold = cursor.fetchone()
        return inserted, gold


def _writer_for(project: Project, batch: ImportBatch):
    return (
        _CopyWriter(project, batch)
        if connection.vendor == "postgresql"
        else _OrmWriter(project, batch)
    )
