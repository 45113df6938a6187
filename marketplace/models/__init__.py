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
    "ImportBatch",
    "ImportFormat",
    "ImportMode",
    "ImportStatus",
    "Project",
    "ProjectCounter",
    "ProjectStatus",
    "Task",
    "TaskStatus",
    "TemplateType",
]
