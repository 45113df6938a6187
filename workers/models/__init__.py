"""Workers app models: profiles, qualifications, project requirements, moderation and audit."""

from workers.models.moderation import (
    AuditAction,
    AuditLogEntry,
    Notification,
    RequesterBlock,
    WorkerSuspension,
)
from workers.models.profile import WorkerProfile
from workers.models.qualifications import (
    QualificationAttempt,
    QualificationKind,
    QualificationQuestion,
    QualificationType,
    WorkerQualification,
)
from workers.models.requirements import ProjectRequirement, RequirementKind

__all__ = [
    "AuditAction",
    "AuditLogEntry",
    "Notification",
    "ProjectRequirement",
    "QualificationAttempt",
    "QualificationKind",
    "QualificationQuestion",
    "QualificationType",
    "RequesterBlock",
    "RequirementKind",
    "WorkerProfile",
    "WorkerQualification",
    "WorkerSuspension",
]
