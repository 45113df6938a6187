"""One upload of tasks: who sent what, what was accepted and what was rejected, and why."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ImportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    JSONL = "jsonl", "JSON Lines"


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all_or_nothing", "Reject the whole file if any row is bad"
    SKIP_BAD_ROWS = "skip_bad_rows", "Import the good rows, keep the bad ones for download"


class ImportStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    RUNNING = "running", "Importing"
    SUCCEEDED = "succeeded", "Imported"
    FAILED = "failed", "Failed"


class ImportBatch(models.Model):
    project = models.ForeignKey(
        "marketplace.Project", on_delete=models.CASCADE, related_name="import_batches"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    file_name = models.CharField(max_length=255)
    file_size = models.PositiveBigIntegerField(default=0)
    format = models.CharField(max_length=8, choices=ImportFormat.choices)
    mode = models.CharField(
        max_length=16, choices=ImportMode.choices, default=ImportMode.ALL_OR_NOTHING
    )
    gold_only = models.BooleanField(
        default=False, help_text="Every row must carry a gold answer (a gold-task upload)."
    )
    status = models.CharField(
        max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    rows_read = models.PositiveIntegerField(default=0)
    rows_accepted = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    gold_accepted = models.PositiveIntegerField(default=0)
    # The first problems found, each {"line", "field", "message"}; the full list of rejected rows
    # is in ``rejected_file`` when the mode keeps good rows.
    errors = models.JSONField(default=list, blank=True)
    error_message = models.TextField(blank=True, help_text="A problem with the file as a whole.")
    rejected_file = models.FileField(upload_to="imports/rejected/%Y/%m/", blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.file_name} → {self.project_id}"

    @property
    def rows_already_present(self) -> int:
        """Rows skipped because the project already had their external id (a re-import)."""
        if self.status != ImportStatus.SUCCEEDED:
            return 0
        return max(self.rows_read - self.rows_accepted - self.rows_rejected, 0)

    @property
    def progress_rows(self) -> int:
        """Rows read so far by a running import (kept in the cache by the import service)."""
        from django.core.cache import cache

        return cache.get(f"import-progress:{self.pk}", 0)

    @property
    def seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None
