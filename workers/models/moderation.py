"""Keeping the crowd healthy: requester blocks, staff suspensions, notifications, the audit log.

``AuditLogEntry`` is append-only: the database refuses UPDATE and DELETE on its table (a trigger
created in migration 0003), the admin is read-only, and no service changes an entry.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import RequesterAccount


class RequesterBlock(models.Model):
    """A requester account keeps a worker off all its projects. Lifting keeps the row."""

    account = models.ForeignKey(
        RequesterAccount, on_delete=models.CASCADE, related_name="worker_blocks"
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="requester_blocks"
    )
    reason = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "worker"],
                condition=Q(lifted_at__isnull=True),
                name="requester_block_one_active",
            ),
        ]

    def __str__(self):
        return f"Block of {self.worker_id} by account {self.account_id}"


class WorkerSuspension(models.Model):
    """Staff keep a worker off the whole platform. Lifting keeps the row."""

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="suspensions"
    )
    reason = models.TextField()
    appeal_note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["worker"],
                condition=Q(lifted_at__isnull=True),
                name="worker_suspension_one_active",
            ),
        ]

    def __str__(self):
        return f"Suspension of {self.worker_id}"


class Notification(models.Model):
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["worker", "-created_at"])]

    def __str__(self):
        return self.text[:60]

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class AuditAction(models.TextChoices):
    BLOCK = "block", "Blocked from an account's projects"
    UNBLOCK = "unblock", "Unblocked"
    SUSPEND = "suspend", "Suspended from the platform"
    UNSUSPEND = "unsuspend", "Suspension lifted"
    GRANT = "grant", "Qualification granted"
    REVOKE = "revoke", "Qualification revoked"
    MESSAGE = "message", "Messaged"
    QUALITY_REVIEW = "quality_review", "Quality flag or block reviewed"
    SKILL_LEVELS = "skill_levels", "Skill-level thresholds changed"


class AuditLogEntry(models.Model):
    """Who did what to which worker, when and why. Never edited, never deleted."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    # The organisation the actor acted for; empty for staff actions.
    account = models.ForeignKey(
        RequesterAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=16, choices=AuditAction.choices)
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    details = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["worker", "-created_at"]),
            models.Index(fields=["-created_at"]),
        ]
        verbose_name_plural = "audit log entries"

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_id} {self.action} {self.worker_id}"
