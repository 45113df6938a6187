from django.urls import path

from marketplace import views, views_results

app_name = "marketplace"
urlpatterns = [
    path("", views.requester_dashboard, name="requester_dashboard"),
    path("projects/new/", views.project_new, name="project_new"),
    path("projects/preview/", views.project_preview, name="project_preview"),
    path("projects/estimate/", views.project_estimate, name="project_estimate"),
    path("projects/<int:project_id>/", views.project_detail, name="project_detail"),
    path("projects/<int:project_id>/edit/", views.project_edit, name="project_edit"),
    path("projects/<int:project_id>/tasks/", views.project_tasks, name="project_tasks"),
    path("projects/<int:project_id>/imports/", views.import_upload, name="import_upload"),
    # Results and quality (before the catch-all action route below).
    path(
        "projects/<int:project_id>/results/",
        views_results.project_results,
        name="project_results",
    ),
    path(
        "projects/<int:project_id>/results/download/",
        views_results.project_results_download,
        name="project_results_download",
    ),
    path(
        "projects/<int:project_id>/aggregate/",
        views_results.project_aggregate,
        name="project_aggregate",
    ),
    path(
        "projects/<int:project_id>/workers/",
        views_results.project_workers,
        name="project_workers",
    ),
    path(
        "projects/<int:project_id>/workers/<int:worker_id>/block/",
        views_results.project_worker_block,
        name="project_worker_block",
    ),
    path("quality/", views_results.worker_quality, name="worker_quality"),
    path("projects/<int:project_id>/<str:action>/", views.project_action, name="project_action"),
    path("imports/<int:batch_id>/", views.import_detail, name="import_detail"),
    path("imports/<int:batch_id>/rejected/", views.import_rejected, name="import_rejected"),
    path("file-formats/", views.file_formats, name="file_formats"),
]
