"""Worker quality per project: the figures, the blocks that keep a worker out of a project, and
the log of every quality action (shown to the worker). The flows are in docs/quality.md."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class WorkerProjectStats(models.Model):
    """One worker's quality in one project. Written only by marketplace.services.quality
    (after each gold answer and by every aggregation run); pages and the API read it."""

    project = models.ForeignKey(
        "marketplace.Project", on_delete=models.CASCADE, related_name="worker_stats"
    )
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    answers = models.PositiveIntegerField(default=0, help_text="Submitted regular answers.")
    gold_answers = models.PositiveIntegerField(default=0)
    gold_correct = models.PositiveIntegerField(default=0)
    # Wilson score interval (95%) of the gold accuracy; null without gold answers.
    gold_accuracy_low = models.FloatField(null=True, blank=True)
    gold_accuracy_high = models.FloatField(null=True, blank=True)
    # Share of regular answers equal to the task's final label (last aggregation run).
    agreement = models.FloatField(null=True, blank=True)
    # The aggregation model's estimate of the worker's accuracy (comparable across methods).
    skill = models.FloatField(null=True, blank=True)
    median_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["project", "worker"]
        constraints = [
            models.UniqueConstraint(fields=["project", "worker"], name="worker_stats_unique"),
            models.CheckConstraint(
                condition=Q(gold_correct__lte=F("gold_answers")), name="worker_stats_gold_correct"
            ),
        ]

    def __str__(self):
        return f"Worker {self.worker_id} in project {self.project_id}"

    @property
    def gold_accuracy(self) -> float | None:
        return self.gold_correct / self.gold_answers if self.gold_answers else None


class ProjectBlock(models.Model):
    """The worker may not claim tasks of the project. The claim SQL reads this table by name
    (``marketplace_projectblock``), hence the fixed ``db_table``."""

    project = models.ForeignKey(
        "marketplace.Project", on_delete=models.CASCADE, related_name="blocks"
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_blocks"
    )
    reason = models.TextField()
    # Null when a quality rule blocked the worker.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "marketplace_projectblock"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["project", "worker"], name="project_block_unique"),
        ]

    def __str__(self):
        return f"Worker {self.worker_id} blocked from project {self.project_id}"


class QualityRule(models.TextChoices):
    GOLD_ACCURACY = "gold_accuracy", "Low gold accuracy"
    FAST_ANSWERS = "fast_answers", "Answers too fast"
    CONSTANT_ANSWERS = "constant_answers", "Same answer every time"
    MANUAL = "manual", "By the requester"


class QualityActionKind(models.TextChoices):
    BLOCK = "block", "Blocked from the project"
    FLAG = "flag", "Flagged for review"
    UNBLOCK = "unblock", "Block lifted"


class QualityAction(models.Model):
    """What a quality rule (or the requester) did to a worker in a project, and why."""

    project = models.ForeignKey(
        "marketplace.Project", on_delete=models.CASCADE, related_name="quality_actions"
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quality_actions"
    )
    rule = models.CharField(max_length=32, choices=QualityRule.choices)
    action = models.CharField(max_length=16, choices=QualityActionKind.choices)
    reason = models.TextField()
    answers_discarded = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["worker", "-created_at"], name="quality_action_worker"),
            models.Index(fields=["project", "-created_at"], name="quality_action_project"),
        ]

    def __str__(self):
        return f"{self.action} of worker {self.worker_id} in project {self.project_id}"
