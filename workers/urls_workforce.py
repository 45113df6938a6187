"""Requester and staff workforce pages, included at the site root (namespace ``workforce``).

The same views serve requesters (their organisation) and staff (the platform); each gets its
own URL prefix and URL names (``requester_…``, ``staff_…``)."""

from django.urls import path

from workers import views_quality, views_requester, views_staff


def _manager_routes(prefix: str, name: str) -> list:
    return [
        path(
            f"{prefix}qualifications/",
            views_requester.qualification_index,
            name=f"{name}_qualifications",
        ),
        path(
            f"{prefix}qualifications/<int:qualification_id>/",
            views_requester.qualification_detail,
            name=f"{name}_qualification_detail",
        ),
        path(
            f"{prefix}projects/<int:project_id>/requirements/",
            views_requester.project_requirements,
            name=f"{name}_project_requirements",
        ),
        path(f"{prefix}workers/", views_requester.worker_list, name=f"{name}_workers"),
        path(
            f"{prefix}workers/<int:worker_id>/",
            views_requester.worker_detail,
            name=f"{name}_worker_detail",
        ),
        path(
            f"{prefix}workers/<int:worker_id>/revoke/<int:qualification_id>/",
            views_requester.worker_revoke,
            name=f"{name}_worker_revoke",
        ),
        path(f"{prefix}quality/", views_quality.quality_review_list, name=f"{name}_quality"),
        path(
            f"{prefix}quality/<int:quality_action_id>/review/",
            views_quality.quality_review,
            name=f"{name}_quality_review",
        ),
    ]


urlpatterns = [
    *_manager_routes("requester/workforce/", "requester"),
    *_manager_routes("staff/workforce/", "staff"),
    path("staff/audit/", views_staff.audit_log, name="audit_log"),
    path("staff/workforce/skill-levels/", views_staff.skill_levels, name="staff_skill_levels"),
]
