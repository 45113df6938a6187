"""Requester-side API routes (projects, tasks, imports), included under /api/v1/."""

from django.urls import path

from marketplace import api

urlpatterns = [
    path("projects/", api.ProjectListApi.as_view(), name="project_list"),
    path("projects/preview/", api.ProjectPreviewApi.as_view(), name="project_preview"),
    path("projects/<int:project_id>/", api.ProjectDetailApi.as_view(), name="project_detail"),
    path(
        "projects/<int:project_id>/tasks/",
        api.ProjectTaskListApi.as_view(),
        name="project_tasks",
    ),
    path(
        "projects/<int:project_id>/imports/",
        api.ImportCreateApi.as_view(),
        name="project_import",
    ),
    path(
        "projects/<int:project_id>/<str:action>/",
        api.ProjectActionApi.as_view(),
        name="project_action",
    ),
    path("imports/<int:batch_id>/", api.ImportDetailApi.as_view(), name="import_detail"),
    path(
        "imports/<int:batch_id>/rejected/",
        api.ImportRejectedApi.as_view(),
        name="import_rejected",
    ),
]
