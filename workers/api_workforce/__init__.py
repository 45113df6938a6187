"""Workforce API under /api/v1/workforce/ (routes in workers/api_urls.py), one module per area:

- ``qualifications``: qualification types, test questions, grants and revocations by hand
- ``attempts``: workers take tests and trainings, request auto-granted qualifications
- ``mine``: a worker's own qualifications, notifications and eligibility for a project
- ``requirements``: project requirements
- ``workers``: workers as requesters and staff see them; block, unblock, message
- ``staff``: suspensions, the audit log and the skill-level thresholds
- ``quality``: review of quality-rule flags and blocks (staff, and requesters for their projects)
- ``serializers`` and ``common`` (error response, permissions) shared by the above

Worker-facing responses never carry an answer key (see ``serializers``). Tenancy comes from
workers.selectors_workforce (another organisation's rows are 404).
"""

from workers.api_workforce.attempts import (
    AttemptAnswerApi,
    AttemptDetailApi,
    AttemptStartApi,
    AttemptSubmitApi,
    QualificationRequestApi,
)
from workers.api_workforce.common import IsManager
from workers.api_workforce.mine import (
    EligibilityApi,
    MyQualificationListApi,
    NotificationListApi,
    NotificationReadApi,
)
from workers.api_workforce.qualifications import (
    QualificationDetailApi,
    QualificationGrantListApi,
    QualificationListApi,
    QualificationRevokeApi,
    QuestionListApi,
)
from workers.api_workforce.quality import QualityActionListApi, QualityActionReviewApi
from workers.api_workforce.requirements import RequirementDetailApi, RequirementListApi
from workers.api_workforce.staff import (
    AuditLogApi,
    SkillLevelsApi,
    WorkerSuspendApi,
    WorkerUnsuspendApi,
)
from workers.api_workforce.workers import (
    WorkerBlockApi,
    WorkerDetailApi,
    WorkerListApi,
    WorkerMessageApi,
    WorkerUnblockApi,
)

__all__ = [
    "AttemptAnswerApi",
    "AttemptDetailApi",
    "AttemptStartApi",
    "AttemptSubmitApi",
    "AuditLogApi",
    "EligibilityApi",
    "IsManager",
    "MyQualificationListApi",
    "NotificationListApi",
    "NotificationReadApi",
    "QualificationDetailApi",
    "QualificationGrantListApi",
    "QualificationListApi",
    "QualificationRequestApi",
    "QualificationRevokeApi",
    "QualityActionListApi",
    "QualityActionReviewApi",
    "QuestionListApi",
    "RequirementDetailApi",
    "RequirementListApi",
    "SkillLevelsApi",
    "WorkerBlockApi",
    "WorkerDetailApi",
    "WorkerListApi",
    "WorkerMessageApi",
    "WorkerSuspendApi",
    "WorkerUnblockApi",
    "WorkerUnsuspendApi",
]
