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

__all__ = [
    "Assignment",
    "AssignmentStatus",
    "ImportBatch",
    "ImportFormat",
    "ImportMode",
    "ImportStatus",
    "Project",
    "ProjectCounter",
    "ProjectStatus",
    "ReviewStatus",
    "Task",
    "TaskStatus",
    "TemplateType",
]
