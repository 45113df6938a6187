from django.urls import path

from marketplace.views import projects, results, reviews

app_name = "marketplace"
urlpatterns = [
    path("", projects.requester_dashboard, name="requester_dashboard"),
    path("projects/new/", projects.project_new, name="project_new"),
    path("projects/preview/", projects.project_preview, name="project_preview"),
    path("projects/estimate/", projects.project_estimate, name="project_estimate"),
    path("projects/<int:project_id>/", projects.project_detail, name="project_detail"),
    path("projects/<int:project_id>/edit/", projects.project_edit, name="project_edit"),
    path("projects/<int:project_id>/tasks/", projects.project_tasks, name="project_tasks"),
    path("projects/<int:project_id>/imports/", projects.import_upload, name="import_upload"),
    # Answer review and bonuses (before the catch-all action route below).
    path("projects/<int:project_id>/reviews/", reviews.review_queue, name="review_queue"),
    path(
        "assignments/<int:assignment_id>/approve/",
        reviews.review_one,
        {"action": "approve"},
        name="assignment_approve",
    ),
    path(
        "assignments/<int:assignment_id>/reject/",
        reviews.review_one,
        {"action": "reject"},
        name="assignment_reject",
    ),
    path("projects/<int:project_id>/bonuses/", reviews.bonus_new, name="bonus_new"),
    # Results and quality (before the catch-all action route below).
    path(
        "projects/<int:project_id>/results/",
        results.project_results,
        name="project_results",
    ),
    path(
        "projects/<int:project_id>/results/download/",
        results.project_results_download,
        name="project_results_download",
    ),
    path(
        "projects/<int:project_id>/aggregate/",
        results.project_aggregate,
        name="project_aggregate",
    ),
    path(
        "projects/<int:project_id>/workers/",
        results.project_workers,
        name="project_workers",
    ),
    path(
        "projects/<int:project_id>/workers/<int:worker_id>/block/",
        results.project_worker_block,
        name="project_worker_block",
    ),
    path("quality/", results.worker_quality, name="worker_quality"),
    path("projects/<int:project_id>/<str:action>/", projects.project_action, name="project_action"),
    path("imports/<int:batch_id>/", projects.import_detail, name="import_detail"),
    path("imports/<int:batch_id>/rejected/", projects.import_rejected, name="import_rejected"),
    path("file-formats/", projects.file_formats, name="file_formats"),
]
