"""Workers app models: profiles, qualifications, project requirements, moderation, audit,
reviews of quality-rule actions and skill-level thresholds."""

from workers.models.moderation import (
    AuditAction,
    AuditLogEntry,
    Notification,
    RequesterBlock,
    WorkerSuspension,
)
from workers.models.profile import WorkerProfile
from workers.models.qualifications import (
    TESTED_KINDS,
    QualificationAttempt,
    QualificationKind,
    QualificationQuestion,
    QualificationType,
    WorkerQualification,
)
from workers.models.requirements import ProjectRequirement, RequirementKind
from workers.models.reviews import (
    CONFIRMING_DECISIONS,
    REVIEWABLE_KINDS,
    QualityReview,
    ReviewDecision,
)
from workers.models.skill_levels import SkillLevel

__all__ = [
    "CONFIRMING_DECISIONS",
    "REVIEWABLE_KINDS",
    "TESTED_KINDS",
    "AuditAction",
    "AuditLogEntry",
    "Notification",
    "ProjectRequirement",
    "QualificationAttempt",
    "QualificationKind",
    "QualificationQuestion",
    "QualificationType",
    "QualityReview",
    "RequesterBlock",
    "RequirementKind",
    "ReviewDecision",
    "SkillLevel",
    "WorkerProfile",
    "WorkerQualification",
    "WorkerSuspension",
]
