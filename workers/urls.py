from django.urls import path

from workers import views

app_name = "workers"
urlpatterns = [
    path("", views.task_feed, name="task_feed"),
    path("projects/<int:project_id>/", views.workspace, name="workspace"),
    path("projects/<int:project_id>/next/", views.task_next, name="task_next"),
]

# Workforce: qualification tests and the worker dashboard (issue 6).
from workers import views_dashboard, views_qualifications  # noqa: E402

urlpatterns += [
    path(
        "qualifications/",
        views_qualifications.qualification_list,
        name="qualification_list",
    ),
    path(
        "qualifications/<int:qualification_id>/",
        views_qualifications.qualification_detail,
        name="qualification_detail",
    ),
    path(
        "qualifications/<int:qualification_id>/start/",
        views_qualifications.qualification_start,
        name="qualification_start",
    ),
    path(
        "qualifications/<int:qualification_id>/request/",
        views_qualifications.qualification_request,
        name="qualification_request",
    ),
    path(
        "qualifications/attempts/<int:attempt_id>/",
        views_qualifications.attempt_take,
        name="attempt_take",
    ),
    path(
        "qualifications/attempts/<int:attempt_id>/result/",
        views_qualifications.attempt_result,
        name="attempt_result",
    ),
    path("dashboard/", views_dashboard.dashboard, name="dashboard"),
    path(
        "dashboard/notifications/read/",
        views_dashboard.notifications_read,
        name="notifications_read",
    ),
]
