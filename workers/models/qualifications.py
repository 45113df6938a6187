"""Qualification types, their test questions, workers' attempts and the qualifications they hold.

A qualification type belongs to a requester account (usable on that account's projects) or to
nobody (platform-wide, managed by staff). It is earned by passing a test (kind ``test``), granted
on request (kind ``auto``, with ``auto_value``), or granted and revoked by hand (kind ``manual``).
A ``training`` is a test that explains each answer right after it is given (it cannot be changed
afterwards); passing it grants the qualification like a test.
The answer key of a test question is read only by the scoring service and by the owner's pages:
no worker-facing serializer or template names it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import RequesterAccount
from marketplace.models import TemplateType


class QualificationKind(models.TextChoices):
    TEST = "test", "Earned by passing a test"
    # Like a test, but each answer is shown right or wrong with its explanation at once.
    TRAINING = "training", "Earned by passing a training"
    AUTO = "auto", "Granted automatically on request"
    MANUAL = "manual", "Granted by hand"


# The kinds earned by taking a test (attempts, scoring, retakes); the others are granted.
TESTED_KINDS = (QualificationKind.TEST, QualificationKind.TRAINING)


class QualificationType(models.Model):
    # None: a platform-wide qualification, managed by staff and usable by every requester.
    account = models.ForeignKey(
        RequesterAccount,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="qualification_types",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    kind = models.CharField(
        max_length=10, choices=QualificationKind.choices, default=QualificationKind.TEST
    )
    passing_score = models.PositiveSmallIntegerField(
        default=80, help_text="Percent of questions right to pass the test."
    )
    time_limit_seconds = models.PositiveIntegerField(default=1200)
    retake_delay_seconds = models.PositiveIntegerField(
        default=24 * 3600, help_text="Wait after a failed attempt before the next one."
    )
    max_attempts = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Empty: no limit."
    )
    validity_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Days a granted qualification lasts. Empty: forever."
    )
    show_feedback = models.BooleanField(
        default=False, help_text="Show right/wrong and the explanation per question afterwards."
    )
    auto_value = models.IntegerField(default=1, help_text="The value an auto-grant gives.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(passing_score__lte=100), name="qualification_passing_score_percent"
            ),
            models.CheckConstraint(
                condition=Q(time_limit_seconds__gte=10), name="qualification_time_limit_min"
            ),
            models.CheckConstraint(
                condition=Q(max_attempts__isnull=True) | Q(max_attempts__gte=1),
                name="qualification_max_attempts_positive",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[choice.value for choice in QualificationKind]),
                name="qualification_kind_known",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_platform_wide(self) -> bool:
        return self.account_id is None

    @property
    def is_tested(self) -> bool:
        """Earned by answering questions (a test or a training)."""
        return self.kind in (QualificationKind.TEST, QualificationKind.TRAINING)


class QualificationQuestion(models.Model):
    """One test question, in any task template type. ``answer_key`` is the cleaned answer."""

    qualification = models.ForeignKey(
        QualificationType, on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveSmallIntegerField(default=0)
    template_type = models.CharField(max_length=32, choices=TemplateType.choices)
    label_config = models.JSONField(default=dict)
    data = models.JSONField()
    # Never serialised to workers.
    answer_key = models.JSONField()
    explanation = models.TextField(blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return f"Question {self.position} of {self.qualification}"


class QualificationAttempt(models.Model):
    qualification = models.ForeignKey(
        QualificationType, on_delete=models.CASCADE, related_name="attempts"
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="qualification_attempts"
    )
    started_at = models.DateTimeField(default=timezone.now)
    deadline_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # Percent of questions right; set when the attempt is scored.
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    timed_out = models.BooleanField(default=False)
    # question id (as text) -> the worker's answer, as sent.
    answers = models.JSONField(default=dict, blank=True)
    # question id (as text) -> true/false, filled by scoring.
    results = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            # At most one open attempt per worker and test: a double click cannot start two.
            models.UniqueConstraint(
                fields=["qualification", "worker"],
                condition=Q(finished_at__isnull=True),
                name="qualification_attempt_one_open",
            ),
            models.CheckConstraint(
                condition=(
                    Q(finished_at__isnull=True, score__isnull=True, passed__isnull=True)
                    | Q(finished_at__isnull=False, score__isnull=False, passed__isnull=False)
                ),
                name="qualification_attempt_scored_when_finished",
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__lte=100),
                name="qualification_attempt_score_percent",
            ),
        ]
        indexes = [models.Index(fields=["worker", "qualification", "-started_at"])]

    def __str__(self):
        return f"Attempt {self.pk} of {self.qualification_id} by {self.worker_id}"

    @property
    def is_open(self) -> bool:
        return self.finished_at is None


class WorkerQualification(models.Model):
    """A qualification a worker holds (or held: revoked and expired rows stay as history).

    One row per worker and type; granting again updates it. It counts while it is neither
    revoked nor past ``expires_at``.
    """

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="qualifications"
    )
    qualification = models.ForeignKey(
        QualificationType, on_delete=models.CASCADE, related_name="grants"
    )
    value = models.IntegerField(default=1)
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-granted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["worker", "qualification"], name="worker_qualification_once"
            ),
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=models.F("granted_at")),
                name="worker_qualification_expires_after_grant",
            ),
        ]

    def __str__(self):
        return f"{self.qualification} = {self.value} for {self.worker_id}"

    def is_active_at(self, now) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
