"""Requester-side API routes (projects, tasks, imports), included under /api/v1/."""

from django.urls import path

from marketplace import api, api_results

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
    # Results and quality (before the catch-all action route below).
    path(
        "projects/<int:project_id>/results/",
        api_results.ResultsApi.as_view(),
        name="project_results",
    ),
    path(
        "projects/<int:project_id>/aggregation/",
        api_results.AggregateApi.as_view(),
        name="project_aggregation",
    ),
    path(
        "projects/<int:project_id>/workers/",
        api_results.ProjectWorkersApi.as_view(),
        name="project_workers",
    ),
    path(
        "projects/<int:project_id>/workers/<int:worker_id>/block/",
        api_results.ProjectWorkerBlockApi.as_view(),
        name="project_worker_block",
    ),
    path(
        "projects/<int:project_id>/quality/",
        api_results.QualitySettingsApi.as_view(),
        name="project_quality",
    ),
    path("work/quality/", api_results.MyQualityApi.as_view(), name="my_quality"),
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
