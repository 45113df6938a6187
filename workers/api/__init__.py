"""Workers' API (routes in workers/api_urls.py), one module per area:

- ``feed``: the task feed (``work/feed/``)
- ``earnings``: a worker's earnings (``earnings/``)

- ``qualifications``: qualification types, test questions, grants and revocations by hand
- ``attempts``: workers take tests and trainings, request auto-granted qualifications
- ``mine``: a worker's own qualifications, notifications and eligibility for a project
- ``requirements``: project requirements
- ``workers``: workers as requesters and staff see them; block, unblock, message
- ``staff``: suspensions, the audit log and the skill-level thresholds
- ``quality``: review of quality-rule flags and blocks (staff, and requesters for their projects)
- ``serializers`` and ``common`` (error response, permissions) shared by the above

Worker-facing responses never carry an answer key (see ``serializers``). Tenancy comes from
workers.selectors.workforce (another organisation's rows are 404).
"""

from workers.api.attempts import (
    AttemptAnswerApi,
    AttemptDetailApi,
    AttemptStartApi,
    AttemptSubmitApi,
    QualificationRequestApi,
)
from workers.api.common import IsManager
from workers.api.earnings import EarningsApi
from workers.api.feed import TaskFeedApi
from workers.api.mine import (
    EligibilityApi,
    MyQualificationListApi,
    NotificationListApi,
    NotificationReadApi,
)
from workers.api.qualifications import (
    QualificationDetailApi,
    QualificationGrantListApi,
    QualificationListApi,
    QualificationRevokeApi,
    QuestionListApi,
)
from workers.api.quality import QualityActionListApi, QualityActionReviewApi
from workers.api.requirements import RequirementDetailApi, RequirementListApi
from workers.api.staff import (
    AuditLogApi,
    SkillLevelsApi,
    WorkerSuspendApi,
    WorkerUnsuspendApi,
)
from workers.api.workers import (
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
    "EarningsApi",
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
    "TaskFeedApi",
    "WorkerBlockApi",
    "WorkerDetailApi",
    "WorkerListApi",
    "WorkerMessageApi",
    "WorkerSuspendApi",
    "WorkerUnblockApi",
    "WorkerUnsuspendApi",
]
