from marketplace.models.assignment import Assignment, AssignmentStatus, ReviewStatus
from marketplace.models.import_batch import ImportBatch, ImportFormat, ImportMode, ImportStatus
from marketplace.models.project import (
    Project,
    ProjectCounter,
    ProjectStatus,
    Task,
    TaskStatus,
    TemplateType,
)
from marketplace.models.quality import (
    ProjectBlock,
    QualityAction,
    QualityActionKind,
    QualityRule,
    WorkerProjectStats,
)

__all__ = [
    "Assignment",
    "AssignmentStatus",
    "ImportBatch",
    "ImportFormat",
    "ImportMode",
    "ImportStatus",
    "Project",
    "ProjectBlock",
    "ProjectCounter",
    "ProjectStatus",
    "QualityAction",
    "QualityActionKind",
    "QualityRule",
    "ReviewStatus",
    "Task",
    "TaskStatus",
    "TemplateType",
    "WorkerProjectStats",
]
