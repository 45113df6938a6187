"""Projects (labeling jobs), their tasks (data items, some of them gold) and progress counters."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils import timezone

from accounts.models import RequesterAccount
from marketplace.aggregation import DEFAULT_METHOD as DEFAULT_AGGREGATION_METHOD


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


# The one set of bounds for a project's numbers: the model's validators apply them to every
# write path (the service runs full_clean for the wizard and the API alike), and the wizard's
# form fields take their limits from here.
BOUNDS = {
    "overlap": (1, 50),
    "confidence_target": (0.5, 1.0),
    "time_limit_seconds": (60, 24 * 3600),
    "auto_approve_seconds": (0, 30 * 24 * 3600),
    "priority": (-100, 100),
    "gold_ratio": (0.0, 1.0),
}


def _between(name: str) -> list:
    low, high = BOUNDS[name]
    return [MinValueValidator(low), MaxValueValidator(high)]


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
    # Validated by marketplace.task_types; never edited once the project has answers.
    label_config = models.JSONField(default=dict, blank=True)
    reward_cents = models.PositiveIntegerField(help_text="Paid per approved assignment.")
    overlap_min = models.PositiveSmallIntegerField(
        default=3,
        validators=_between("overlap"),
        help_text="Answers every task gets before it may stop early.",
    )
    overlap_max = models.PositiveSmallIntegerField(
        default=3, validators=_between("overlap"), help_text="Answers a task gets at most."
    )
    confidence_target = models.FloatField(
        default=0.95,
        validators=_between("confidence_target"),
        help_text="Between the two overlaps, a task stops at this confidence.",
    )
    time_limit_seconds = models.PositiveIntegerField(
        default=600, validators=_between("time_limit_seconds")
    )
    auto_approve_seconds = models.PositiveIntegerField(
        default=3 * 24 * 3600, validators=_between("auto_approve_seconds")
    )
    gold_ratio = models.FloatField(
        default=0.1,
        validators=_between("gold_ratio"),
        help_text="Share of served tasks that are gold.",
    )
    priority = models.SmallIntegerField(default=0, validators=_between("priority"))
    status = models.CharField(
        max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.DRAFT
    )
    # Written only by imports (rare), so dashboards read them without counting the task table.
    tasks_count = models.PositiveIntegerField(default=0)
    gold_tasks_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # --- Aggregation, dynamic overlap and quality rules (docs/quality.md) ---
    # The categorical method (a key of marketplace.aggregation.METHODS); other kinds have one.
    aggregation_method = models.CharField(max_length=16, default=DEFAULT_AGGREGATION_METHOD)
    aggregated_at = models.DateTimeField(null=True, blank=True)
    # Counted answers (ProjectCounter answers + gold_answers) when the last aggregation started;
    # the periodic sweep re-aggregates an active project whose counters moved since.
    aggregated_answers = models.IntegerField(default=0)
    # Answers not collected because dynamic overlap closed tasks early (the budget saved).
    answers_saved = models.PositiveIntegerField(default=0)
    # Block when the lower bound of gold accuracy < this after block_min_gold_answers (null: off).
    block_gold_accuracy_below = models.FloatField(null=True, blank=True)
    block_min_gold_answers = models.PositiveSmallIntegerField(default=5)
    # On a block, reject the worker's pending answers so their tasks re-open.
    block_discards_answers = models.BooleanField(default=False)
    # Flag a worker with fast_answer_count answers under this many seconds (null: off).
    fast_answer_seconds = models.FloatField(null=True, blank=True)
    fast_answer_count = models.PositiveSmallIntegerField(default=5)
    # Flag the same answer this many times in a row with gold accuracy below the next (null: off).
    constant_answer_run = models.PositiveSmallIntegerField(null=True, blank=True)
    constant_gold_accuracy_below = models.FloatField(default=0.7)

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
                condition=Q(confidence_target__gt=0) & Q(confidence_target__lte=1),
                name="project_confidence_target_share",
            ),
            models.CheckConstraint(
                condition=Q(gold_tasks_count__lte=F("tasks_count")),
                name="project_gold_within_tasks",
            ),
        ]
        indexes = [models.Index(fields=["status", "-priority"])]

    def __str__(self):
        return self.title

    @property
    def regular_tasks_count(self) -> int:
        return self.tasks_count - self.gold_tasks_count


class ProjectCounter(models.Model):
    """Progress counters split over a few shard rows per project.

    Every submission bumps a counter; a single row per project would serialise all workers of a
    project on its lock. Writers pick a shard at random, readers sum the shards (a handful of
    rows). Missing shards count as zero.
    """

    SHARDS = 8

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="counters")
    shard = models.PositiveSmallIntegerField()
    tasks_completed = models.IntegerField(default=0)
    answers = models.IntegerField(default=0)
    gold_answers = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "shard"], name="project_counter_shard"),
        ]

    def __str__(self):
        return f"Counters of project {self.project_id}, shard {self.shard}"


class TaskStatus(models.TextChoices):
    OPEN = "open", "Collecting answers"
    COMPLETE = "complete", "Complete"


class Task(models.Model):
    # Indexed through task_project_id, whose first column it is.
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="tasks", db_index=False
    )
    external_id = models.CharField(max_length=200, blank=True)
    data = models.JSONField()
    is_gold = models.BooleanField(default=False)
    # Never serialised to workers: only requester and staff views read these two fields.
    gold_answer = models.JSONField(null=True, blank=True)
    gold_explanation = models.TextField(blank=True)
    # Answers this task wants: the project's maximum overlap, lowered by dynamic overlap.
    overlap = models.PositiveSmallIntegerField(default=3)
    # Assignments holding a slot: live (claimed, unexpired) plus submitted. Allocation keeps it
    # at or under ``overlap``; the constraint below is the last line of defence.
    slots_taken = models.PositiveSmallIntegerField(default=0, db_default=0)
    answers_count = models.PositiveIntegerField(default=0, db_default=0)
    status = models.CharField(
        max_length=16,
        choices=TaskStatus.choices,
        default=TaskStatus.OPEN,
        db_default=TaskStatus.OPEN,
    )
    final_label = models.JSONField(null=True, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    aggregation_method = models.CharField(max_length=16, blank=True, db_default="")
    # A provenance pointer without an index or a database-level foreign key: both would be
    # checked or updated for every row of a million-row import. Batches are deleted only with
    # their project, whose tasks go first.
    import_batch = models.ForeignKey(
        "marketplace.ImportBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    # Database defaults: imports COPY rows in without naming these columns.
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())

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
            models.CheckConstraint(
                condition=Q(slots_taken__lte=F("overlap")), name="task_slots_within_overlap"
            ),
            models.CheckConstraint(
                condition=Q(answers_count__lte=F("slots_taken")),
                name="task_answers_hold_slots",
            ),
        ]
        indexes = [
            # Allocation scans a project's open tasks, fullest first.
            models.Index(
                fields=["project", "is_gold", "-slots_taken", "id"],
                condition=Q(status="open"),
                name="task_open_by_fill",
            ),
            # A project's tasks in id order: keyset pages of the task list and result exports.
            models.Index(fields=["project", "id"], name="task_project_id"),
        ]

    def __str__(self):
        return f"Task {self.pk} of project {self.project_id}"
