"""What a worker needs to work on a project. All requirements of a project must hold (AND)."""

from django.db import models
from django.db.models import Q


class RequirementKind(models.TextChoices):
    QUALIFICATION_AT_LEAST = "qualification_gte", "Qualification value at least"
    QUALIFICATION_EQUALS = "qualification_eq", "Qualification value equals"
    QUALIFICATION_EXISTS = "qualification_exists", "Holds the qualification"
    GOLD_ACCURACY_AT_LEAST = "gold_accuracy_gte", "Accuracy on gold tasks (%) at least"
    APPROVED_AT_LEAST = "approved_gte", "Approved assignments at least"
    APPROVAL_RATE_AT_LEAST = "approval_rate_gte", "Approval rate (%) at least"
    LOCALE_IN = "locale_in", "Country or language in list"
    SKILL_LEVEL_AT_LEAST = "skill_level_gte", "Skill level at least"


QUALIFICATION_KINDS = (
    RequirementKind.QUALIFICATION_AT_LEAST,
    RequirementKind.QUALIFICATION_EQUALS,
    RequirementKind.QUALIFICATION_EXISTS,
)
VALUE_KINDS = (
    RequirementKind.QUALIFICATION_AT_LEAST,
    RequirementKind.QUALIFICATION_EQUALS,
    RequirementKind.GOLD_ACCURACY_AT_LEAST,
    RequirementKind.APPROVED_AT_LEAST,
    RequirementKind.APPROVAL_RATE_AT_LEAST,
    RequirementKind.SKILL_LEVEL_AT_LEAST,
)


class ProjectRequirement(models.Model):
    project = models.ForeignKey(
        "marketplace.Project", on_delete=models.CASCADE, related_name="requirements"
    )
    kind = models.CharField(max_length=24, choices=RequirementKind.choices)
    qualification = models.ForeignKey(
        "workers.QualificationType",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requirements",
    )
    value = models.IntegerField(null=True, blank=True)
    # For ``locale_in``: country codes (``DE``) and language codes (``de``).
    locales = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[choice.value for choice in RequirementKind]),
                name="requirement_kind_known",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=[k.value for k in QUALIFICATION_KINDS], qualification__isnull=False)
                    | (
                        ~Q(kind__in=[k.value for k in QUALIFICATION_KINDS])
                        & Q(qualification__isnull=True)
                    )
                ),
                name="requirement_qualification_iff_qualification_kind",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=[k.value for k in VALUE_KINDS]) | Q(value__isnull=False),
                name="requirement_value_given",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.value if self.value is not None else ''}"
