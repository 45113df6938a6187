"""Skill-level thresholds, editable by staff. One row per level; with no rows the
``WORKFORCE_SKILL_LEVELS`` setting (or its built-in default) applies."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class SkillLevel(models.Model):
    """A worker is at the highest level whose both thresholds they meet (approved regular
    answers and gold accuracy across the platform); below every level they are at 0."""

    level = models.PositiveSmallIntegerField(unique=True)
    min_approved = models.PositiveIntegerField(help_text="Approved answers at least.")
    min_gold_accuracy = models.PositiveSmallIntegerField(help_text="Gold accuracy % at least.")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-level"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=20), name="skill_level_range"
            ),
            models.CheckConstraint(
                condition=Q(min_gold_accuracy__lte=100), name="skill_level_accuracy_percent"
            ),
        ]

    def __str__(self):
        return f"Level {self.level}: {self.min_approved} approved, {self.min_gold_accuracy} %"
