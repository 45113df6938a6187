"""Human review of what the quality rules did (marketplace.QualityAction flags and blocks).

A quality rule acts on its own (blocks on low gold accuracy, flags fast or constant answering);
staff (any project) and requesters (their projects) then confirm or dismiss it. One review per
action, enforced by the one-to-one key; the review's outcome (the block lifted, a new project
block, a suspension) and its audit entry commit in the same transaction as the review row.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import RequesterAccount
from marketplace.models import QualityActionKind


class ReviewDecision(models.TextChoices):
    KEEP_BLOCK = "keep_block", "Confirmed: block kept"
    LIFT_BLOCK = "lift_block", "Dismissed: block lifted"
    ESCALATE_BLOCK = "escalate_block", "Confirmed: blocked from the project"
    ESCALATE_SUSPENSION = "escalate_suspension", "Confirmed: suspended from the platform"
    FALSE_POSITIVE = "false_positive", "Dismissed: false positive"


# What a review applies to: flags and blocks (an unblock is itself an outcome, not reviewed).
REVIEWABLE_KINDS = (QualityActionKind.FLAG, QualityActionKind.BLOCK)

CONFIRMING_DECISIONS = (
    ReviewDecision.KEEP_BLOCK,
    ReviewDecision.ESCALATE_BLOCK,
    ReviewDecision.ESCALATE_SUSPENSION,
)


class QualityReview(models.Model):
    quality_action = models.OneToOneField(
        "marketplace.QualityAction", on_delete=models.CASCADE, related_name="review"
    )
    decision = models.CharField(max_length=24, choices=ReviewDecision.choices)
    reason = models.TextField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    # The organisation the reviewer acted for; empty for staff.
    account = models.ForeignKey(
        RequesterAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-reviewed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="quality_review_has_reason"),
        ]

    def __str__(self):
        return f"{self.decision} of quality action {self.quality_action_id}"

    @property
    def confirmed(self) -> bool:
        return self.decision in CONFIRMING_DECISIONS
