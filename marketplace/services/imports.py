"""Importing task files: store the upload, parse it as a stream, write tasks in bulk, atomically.

All or nothing (the default): rows are written inside one transaction while the file streams, and
the transaction is rolled back if any row was bad, so a rejected file leaves no task behind.
Skip bad rows: good rows are committed, rejected ones are listed in a downloadable CSV.
Re-importing rows whose ``external_id`` the project already has adds nothing (idempotent).
An external id repeated within the file is a bad row (the first occurrence is the good one),
found by the database so that the parser keeps nothing per row (see import_writers.py, which
also has the COPY paths). Adding tasks to a live project reserves escrow for their slots in the
same transaction; short funds write nothing. Progress of a running import lives in the cache, as
the rows it counts are not committed (and so not visible) until the end.
"""

import heapq
from dataclasses import dataclass
from itertools import islice, tee

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from config.celery import task_send
from config.errors import DomainError
from marketplace.importing import (
    FileProblem,
    RejectedRows,
    detect_format,
    parse_task_file,
    raw_rows,
)
from marketplace.models import ImportBatch, ImportMode, ImportStatus, Project, ProjectStatus
from marketplace.services.escrow import InsufficientFundsError, escrow_reserve
from marketplace.services.import_writers import DuplicatesInFile, duplicate_error, writer_for
from marketplace.services.projects import project_count_tasks

CHUNK_ROWS = 5000
PROGRESS_EVERY_ROWS = 20_000
STORED_ERRORS = 200


OPEN_STATUSES = (ProjectStatus.DRAFT, ProjectStatus.ACTIVE, ProjectStatus.PAUSED)


def _closed_message(project: Project) -> str:
    return f"A {project.get_status_display().lower()} project takes no more tasks."


class ImportRefusedError(DomainError):
    """The upload is refused before any row is read; the message says why."""

    code, http_status = "import_refused", 400


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
    if project.status not in OPEN_STATUSES:
        raise ImportRefusedError(_closed_message(project))
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
        transaction.on_commit(lambda: task_send("marketplace.run_import", batch.pk))
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
    message: str = ""  # why a failed import wrote nothing, when it is not bad rows


def _import_file(batch: ImportBatch) -> _Outcome:
    try:
        return _import_attempt(batch, direct_allowed=True)
    except DuplicatesInFile:
        # A first import copied straight into the task table met a repeated external id and
        # was rolled back: read the file again through the staging table, which names them all.
        return _import_attempt(batch, direct_allowed=False)


def _import_attempt(batch: ImportBatch, *, direct_allowed: bool) -> _Outcome:
    keep_good_rows = batch.mode == ImportMode.SKIP_BAD_ROWS
    rejected = RejectedRows() if keep_good_rows else None
    inserted = gold = 0
    message = ""
    try:
        with batch.file.open("rb") as stream:
            try:
                with transaction.atomic():
                    # One import at a time per project: external-id checks, counters and escrow
                    # stay exact. The locked row's status and overlap are the ones that count.
                    project = Project.objects.select_for_update().get(pk=batch.project_id)
                    if project.status not in OPEN_STATUSES:  # closed since the upload
                        raise ImportRefusedError(_closed_message(project))
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
                    with writer_for(project, batch, direct_allowed=direct_allowed) as writer:
                        for chunk in parser.chunks(CHUNK_ROWS):
                            writer.write(chunk)
                            if parser.rows_read % PROGRESS_EVERY_ROWS < CHUNK_ROWS:
                                cache.set(progress_key(batch.pk), parser.rows_read, 3600)
                        writer.end_copy()
                    duplicates = writer.find_duplicates(limit=STORED_ERRORS)
                    bad_rows = parser.rows_rejected + duplicates.count
                    if bad_rows and not keep_good_rows:
                        raise _RollBack
                    if duplicates.count:
                        writer.drop_duplicates()
                        _list_duplicates(batch, writer, rejected)
                    inserted, gold = writer.insert()
                    _reserve_escrow(project, regular_tasks=inserted - gold)
                    project_count_tasks(project=project, added=inserted, gold=gold)
            except _RollBack:
                inserted = gold = 0
            except InsufficientFundsError as error:
                inserted = gold = 0
                message = (
                    "Nothing was imported: the project is live, so its new tasks need funds in "
                    f"escrow. {error}"
                )
    except ImportRefusedError as error:
        if rejected:
            rejected.close()
        return _Outcome(ImportStatus.FAILED, 0, 0, 0, 0, [], message=str(error))
    except BaseException:
        if rejected:
            rejected.close()
        raise
    failed = bool(message) or (bool(bad_rows) and not keep_good_rows)
    errors = heapq.merge(parser.errors, duplicates.errors, key=lambda error: error.line)
    return _Outcome(
        status=ImportStatus.FAILED if failed else ImportStatus.SUCCEEDED,
        rows_read=parser.rows_read,
        inserted=inserted,
        gold_inserted=gold,
        rejected=bad_rows,
        errors=[error.as_dict() for error in islice(errors, STORED_ERRORS)],
        rejected_file=rejected.file(parser.header) if rejected and rejected.count else None,
        message=message,
    )


def _list_duplicates(batch: ImportBatch, writer, rejected: RejectedRows | None) -> None:
    """Add the repeated rows, with their raw values read again from the file, to the
    rejected-rows file. Streams both: memory stays flat however many repeats there are."""
    if rejected is None:
        return
    lines, repeats = tee(writer.duplicate_rows())
    with batch.file.storage.open(batch.file.name, "rb") as stream:
        raw = raw_rows(stream, format=batch.format, lines=(line for line, _, _ in lines))
        for (line, external_id, first_line), (_, values) in zip(repeats, raw, strict=True):
            rejected.add_later(line, values, [duplicate_error(line, external_id, first_line)])


def _reserve_escrow(project: Project, *, regular_tasks: int) -> None:
    """A live project's new regular tasks each hold ``overlap_max`` paid slots: reserve their
    reward and fees, as publishing does (gold tasks hold no slot; escrow prices the gold
    answers that come with the regular ones). Caller holds the project's row lock."""
    live = project.status in (ProjectStatus.ACTIVE, ProjectStatus.PAUSED)
    if live and regular_tasks > 0:
        escrow_reserve(project=project, regular_assignments=regular_tasks * project.overlap_max)


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
        if outcome.message:
            batch.error_message = outcome.message
        elif outcome.status == ImportStatus.FAILED:
            batch.error_message = (
                f"{outcome.rejected} of {outcome.rows_read} rows have problems, so nothing was "
                "imported. Fix them, or import with “import the good rows”."
            )
        if outcome.rejected_file is not None:
            batch.rejected_file.save(f"rejected-{batch.pk}.csv", outcome.rejected_file, False)
    batch.save()
