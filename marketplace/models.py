"""Projects (labeling jobs) and their tasks (data items, some of them gold)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import RequesterAccount


class TemplateType(models.TextChoices):
    CLASSIFICATION = "classification", "Single-choice classification"
    MULTI_LABEL = "multi_label", "Multi-label classification"
    FREE_TEXT = "free_text", "Free text"
    SPANS = "spans", "Text spans / named entities"
    BOUNDING_BOXES = "bounding_boxes", "Bounding boxes"
    PAIRWISE = "pairwise", "Pairwise comparison"
    RATING = "rating", "Rating (Likert)"


class ProjectStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    ARCHIVED = "archived", "Archived"


class Project(models.Model):
    account = models.ForeignKey(RequesterAccount, on_delete=models.PROTECT, related_name="projects")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=200)
    description = models.CharField(max_length=500, blank=True)
    instructions = models.TextField(blank=True, help_text="Markdown, shown to workers.")
    template_type = models.CharField(max_length=32, choices=TemplateType.choices)
    # The label schema: labels with descriptions and shortcuts, and type-specific options.
    label_config = models.JSONField(default=dict, blank=True)
    reward_cents = models.PositiveIntegerField(help_text="Paid per approved assignment.")
    overlap_min = models.PositiveSmallIntegerField(default=3)
    overlap_max = models.PositiveSmallIntegerField(default=3)
    time_limit_seconds = models.PositiveIntegerField(default=600)
    auto_approve_seconds = models.PositiveIntegerField(default=3 * 24 * 3600)
    gold_ratio = models.FloatField(default=0.1, help_text="Share of served tasks that are gold.")
    priority = models.SmallIntegerField(default=0)
    status = models.CharField(
        max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.DRAFT
    )
    # Counters kept by the services so dashboards never count over the task table.
    tasks_count = models.PositiveIntegerField(default=0)
    gold_tasks_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-priority", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(overlap_min__gte=1) & Q(overlap_max__gte=F("overlap_min")),
                name="project_overlap_range",
            ),
            models.CheckConstraint(
                condition=Q(gold_ratio__gte=0) & Q(gold_ratio__lte=1),
                name="project_gold_ratio_share",
            ),
            models.CheckConstraint(
                condition=Q(gold_tasks_count__lte=F("tasks_count")),
                name="project_gold_within_tasks",
            ),
        ]
        indexes = [models.Index(fields=["status", "-priority"])]

    def __str__(self):
        return self.title


class Task(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    external_id = models.CharField(max_length=200, blank=True)
    data = models.JSONField()
    is_gold = models.BooleanField(default=False)
    # Never serialised to workers: only requester and staff views read these two fields.
    gold_answer = models.JSONField(null=True, blank=True)
    gold_explanation = models.TextField(blank=True)
    answers_count = models.PositiveIntegerField(default=0)
    final_label = models.JSONField(null=True, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "external_id"],
                condition=~Q(external_id=""),
                name="task_unique_external_id",
            ),
            models.CheckConstraint(
                condition=Q(is_gold=False) | Q(gold_answer__isnull=False),
                name="task_gold_has_answer",
            ),
        ]

    def __str__(self):
        return f"Task {self.pk} of project {self.project_id}"
