"""Workers' API routes, included under /api/v1/: the task feed, earnings, and the workforce
(all under ``workforce/``, clear of the project routes' catch-all ``projects/<id>/<action>/``)."""

from django.urls import path

from workers import api

urlpatterns = [
    path("work/feed/", api.TaskFeedApi.as_view(), name="task_feed"),
    path("earnings/", api.EarningsApi.as_view(), name="earnings"),
    path(
        "workforce/qualifications/", api.QualificationListApi.as_view(), name="qualification_list"
    ),
    path(
        "workforce/qualifications/<int:qualification_id>/",
        api.QualificationDetailApi.as_view(),
        name="qualification_detail",
    ),
    path(
        "workforce/qualifications/<int:qualification_id>/questions/",
        api.QuestionListApi.as_view(),
        name="qualification_questions",
    ),
    path(
        "workforce/qualifications/<int:qualification_id>/attempts/",
        api.AttemptStartApi.as_view(),
        name="qualification_attempt_start",
    ),
    path(
        "workforce/qualifications/<int:qualification_id>/request/",
        api.QualificationRequestApi.as_view(),
        name="qualification_request",
    ),
    path(
        "workforce/qualifications/<int:qualification_id>/grants/",
        api.QualificationGrantListApi.as_view(),
        name="qualification_grants",
    ),
    path(
        "workforce/qualifications/<int:qualification_id>/revoke/",
        api.QualificationRevokeApi.as_view(),
        name="qualification_revoke",
    ),
    path(
        "workforce/attempts/<int:attempt_id>/",
        api.AttemptDetailApi.as_view(),
        name="qualification_attempt",
    ),
    path(
        "workforce/attempts/<int:attempt_id>/answer/",
        api.AttemptAnswerApi.as_view(),
        name="qualification_attempt_answer",
    ),
    path(
        "workforce/attempts/<int:attempt_id>/submit/",
        api.AttemptSubmitApi.as_view(),
        name="qualification_attempt_submit",
    ),
    path(
        "workforce/me/qualifications/",
        api.MyQualificationListApi.as_view(),
        name="my_qualifications",
    ),
    path("workforce/notifications/", api.NotificationListApi.as_view(), name="notification_list"),
    path(
        "workforce/notifications/read/", api.NotificationReadApi.as_view(), name="notification_read"
    ),
    path(
        "workforce/projects/<int:project_id>/eligibility/",
        api.EligibilityApi.as_view(),
        name="project_eligibility",
    ),
    path(
        "workforce/projects/<int:project_id>/requirements/",
        api.RequirementListApi.as_view(),
        name="project_requirements",
    ),
    path(
        "workforce/requirements/<int:requirement_id>/",
        api.RequirementDetailApi.as_view(),
        name="requirement_detail",
    ),
    path("workforce/workers/", api.WorkerListApi.as_view(), name="workforce_worker_list"),
    path(
        "workforce/workers/<int:worker_id>/",
        api.WorkerDetailApi.as_view(),
        name="workforce_worker_detail",
    ),
    path(
        "workforce/workers/<int:worker_id>/block/",
        api.WorkerBlockApi.as_view(),
        name="workforce_worker_block",
    ),
    path(
        "workforce/workers/<int:worker_id>/unblock/",
        api.WorkerUnblockApi.as_view(),
        name="workforce_worker_unblock",
    ),
    path(
        "workforce/workers/<int:worker_id>/message/",
        api.WorkerMessageApi.as_view(),
        name="workforce_worker_message",
    ),
    path(
        "workforce/workers/<int:worker_id>/suspend/",
        api.WorkerSuspendApi.as_view(),
        name="workforce_worker_suspend",
    ),
    path(
        "workforce/workers/<int:worker_id>/unsuspend/",
        api.WorkerUnsuspendApi.as_view(),
        name="workforce_worker_unsuspend",
    ),
    path("workforce/audit/", api.AuditLogApi.as_view(), name="audit_log"),
    path("workforce/skill-levels/", api.SkillLevelsApi.as_view(), name="skill_levels"),
    path(
        "workforce/quality-actions/",
        api.QualityActionListApi.as_view(),
        name="quality_action_list",
    ),
    path(
        "workforce/quality-actions/<int:quality_action_id>/review/",
        api.QualityActionReviewApi.as_view(),
        name="quality_action_review",
    ),
]
