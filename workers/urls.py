"""Workers' pages. Two URL namespaces: ``workers`` for the worker's own pages under /work/ (feed,
workspace, qualification tests, dashboard, earnings) and ``workforce`` for the requester and
staff workforce pages at the site root (the same views serve requesters, for their
organisation, and staff, for the platform; each gets its own URL prefix and URL names
``requester_…``, ``staff_…``), plus the staff console."""

from django.urls import include, path

from workers.views import dashboard, earnings, qualifications, quality, staff, workforce, workspace

worker_patterns = [
    path("", workspace.task_feed, name="task_feed"),
    path("projects/<int:project_id>/", workspace.workspace, name="workspace"),
    path("projects/<int:project_id>/next/", workspace.task_next, name="task_next"),
    path("earnings/", earnings.earnings, name="earnings"),
    path(
        "qualifications/",
        qualifications.qualification_list,
        name="qualification_list",
    ),
    path(
        "qualifications/<int:qualification_id>/",
        qualifications.qualification_detail,
        name="qualification_detail",
    ),
    path(
        "qualifications/<int:qualification_id>/start/",
        qualifications.qualification_start,
        name="qualification_start",
    ),
    path(
        "qualifications/<int:qualification_id>/request/",
        qualifications.qualification_request,
        name="qualification_request",
    ),
    path(
        "qualifications/attempts/<int:attempt_id>/",
        qualifications.attempt_take,
        name="attempt_take",
    ),
    path(
        "qualifications/attempts/<int:attempt_id>/result/",
        qualifications.attempt_result,
        name="attempt_result",
    ),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path(
        "dashboard/notifications/read/",
        dashboard.notifications_read,
        name="notifications_read",
    ),
]


def _manager_routes(prefix: str, name: str) -> list:
    return [
        path(
            f"{prefix}qualifications/",
            workforce.qualification_index,
            name=f"{name}_qualifications",
        ),
        path(
            f"{prefix}qualifications/<int:qualification_id>/",
            workforce.qualification_detail,
            name=f"{name}_qualification_detail",
        ),
        path(
            f"{prefix}projects/<int:project_id>/requirements/",
            workforce.project_requirements,
            name=f"{name}_project_requirements",
        ),
        path(f"{prefix}workers/", workforce.worker_list, name=f"{name}_workers"),
        path(
            f"{prefix}workers/<int:worker_id>/",
            workforce.worker_detail,
            name=f"{name}_worker_detail",
        ),
        path(
            f"{prefix}workers/<int:worker_id>/revoke/<int:qualification_id>/",
            workforce.worker_revoke,
            name=f"{name}_worker_revoke",
        ),
        path(f"{prefix}quality/", quality.quality_review_list, name=f"{name}_quality"),
        path(
            f"{prefix}quality/<int:quality_action_id>/review/",
            quality.quality_review,
            name=f"{name}_quality_review",
        ),
    ]


workforce_patterns = [
    path("staff/", staff.staff_console, name="staff_console"),
    *_manager_routes("requester/workforce/", "requester"),
    *_manager_routes("staff/workforce/", "staff"),
    path("staff/audit/", staff.audit_log, name="audit_log"),
    path("staff/workforce/skill-levels/", staff.skill_levels, name="staff_skill_levels"),
]


urlpatterns = [
    path("work/", include((worker_patterns, "workers"))),
    path("", include((workforce_patterns, "workforce"))),
]
