"""Assignments: one worker's turn at one task, from claim to answer (or release).

The state machine and why allocation is race-free are in docs/allocation.md. In short::

    live ──submit──────────▶ submitted
      │ ──skip────────────▶ skipped    (slot released; never offered to this worker again)
      │ ──return──────────▶ returned   (slot released; never offered to this worker again)
      └ ──lease runs out──▶ expired    (slot released by the sweeper)
                              └─late submit, slot still free─▶ submitted (slot re-taken)

A regular task's ``slots_taken`` counts its live and submitted assignments. Gold tasks hold no
slots: every worker may answer each gold task once, so their ``slots_taken`` stays 0 and
``answers_count`` is not bumped (gold answers are counted in ``ProjectCounter.gold_answers``).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class AssignmentStatus(models.TextChoices):
    LIVE = "live", "In progress"
    SUBMITTED = "submitted", "Submitted"
    EXPIRED = "expired", "Expired"
    RETURNED = "returned", "Returned"
    SKIPPED = "skipped", "Skipped"


class ReviewStatus(models.TextChoices):
    PENDING = "pending", "Pending review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class Assignment(models.Model):
    task = models.ForeignKey("marketplace.Task", on_delete=models.CASCADE, related_name="+")
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments"
    )
    # Denormalised from the task: per-project queues, history and payments filter on it.
    project = models.ForeignKey(
        "marketplace.Project", on_delete=models.CASCADE, related_name="assignments"
    )
    # Copied from the task at claim time so the sweeper knows whether a slot is held without a
    # join. Never serialised to workers.
    is_gold = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16, choices=AssignmentStatus.choices, default=AssignmentStatus.LIVE
    )
    answer = models.JSONField(null=True, blank=True)
    claimed_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Set when the assignment leaves ``live`` without an answer (skip, return, expiry).
    released_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    # The client's request id for the submit (body ``submit_key`` or ``Idempotency-Key``): a
    # retried submit with the same key replays the stored result.
    submit_key = models.CharField(max_length=64, blank=True)
    # For approval and payment (payments issue): submitted answers start pending.
    review_status = models.CharField(
        max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-claimed_at", "-id"]
        constraints = [
            # A worker never gets the same task twice; skips and returns keep their row.
            models.UniqueConstraint(fields=["task", "worker"], name="assignment_task_worker"),
            models.CheckConstraint(
                condition=(
                    Q(
                        status="submitted",
                        answer__isnull=False,
                        submitted_at__isnull=False,
                        released_at__isnull=True,
                    )
                    | (~Q(status="submitted") & Q(answer__isnull=True, submitted_at__isnull=True))
                ),
                name="assignment_answer_iff_submitted",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status__in=["live", "submitted"], released_at__isnull=True)
                    | Q(status__in=["expired", "returned", "skipped"], released_at__isnull=False)
                ),
                name="assignment_released_iff_ended",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[choice.value for choice in AssignmentStatus]),
                name="assignment_status_known",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("claimed_at")), name="assignment_lease_after_claim"
            ),
            # Only a submitted answer is reviewed; a reviewed one records when.
            models.CheckConstraint(
                condition=(
                    Q(review_status="pending", reviewed_at__isnull=True)
                    | Q(
                        status="submitted",
                        review_status__in=["approved", "rejected"],
                        reviewed_at__isnull=False,
                    )
                ),
                name="assignment_review_of_submitted",
            ),
        ]
        indexes = [
            # The sweeper: live leases by expiry.
            models.Index(
                fields=["expires_at"],
                condition=Q(status="live"),
                name="assignment_live_by_expiry",
            ),
            # A worker's history, newest first.
            models.Index(fields=["worker", "-claimed_at"], name="assignment_worker_history"),
            # Review and payments: a project's submitted answers.
            models.Index(fields=["project", "status", "review_status"], name="assignment_review"),
        ]

    def __str__(self):
        return f"Assignment {self.pk} ({self.status}) of task {self.task_id}"
