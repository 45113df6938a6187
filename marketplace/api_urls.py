"""Marketplace API routes, included first under /api/v1/: assignments (claim and submit are the
hot path, so they come first), projects, tasks, imports, answer review, bonuses and results."""

from django.urls import path

from marketplace.api import assignments, projects, results, reviews

urlpatterns = [
    # The hot endpoints (claim, submit) first: URL resolution walks the list in order.
    path("assignments/", assignments.AssignmentListApi.as_view(), name="assignment_list"),
    path("assignments/claim/", assignments.AssignmentClaimApi.as_view(), name="assignment_claim"),
    path(
        "assignments/<int:assignment_id>/submit/",
        assignments.AssignmentSubmitApi.as_view(),
        name="assignment_submit",
    ),
    path(
        "assignments/<int:assignment_id>/skip/",
        assignments.AssignmentSkipApi.as_view(),
        name="assignment_skip",
    ),
    path(
        "assignments/<int:assignment_id>/return/",
        assignments.AssignmentReturnApi.as_view(),
        name="assignment_return",
    ),
    path(
        "assignments/<int:assignment_id>/heartbeat/",
        assignments.AssignmentHeartbeatApi.as_view(),
        name="assignment_heartbeat",
    ),
    path("projects/", projects.ProjectListApi.as_view(), name="project_list"),
    path("projects/preview/", projects.ProjectPreviewApi.as_view(), name="project_preview"),
    path("projects/<int:project_id>/", projects.ProjectDetailApi.as_view(), name="project_detail"),
    path(
        "projects/<int:project_id>/tasks/",
        projects.ProjectTaskListApi.as_view(),
        name="project_tasks",
    ),
    path(
        "projects/<int:project_id>/imports/",
        projects.ImportCreateApi.as_view(),
        name="project_import",
    ),
    path(
        "projects/<int:project_id>/reviews/",
        reviews.ProjectReviewsApi.as_view(),
        name="project_reviews",
    ),
    path(
        "assignments/<int:assignment_id>/approve/",
        reviews.AssignmentApproveApi.as_view(),
        name="assignment_approve",
    ),
    path(
        "assignments/<int:assignment_id>/reject/",
        reviews.AssignmentRejectApi.as_view(),
        name="assignment_reject",
    ),
    path("bonuses/", reviews.BonusListCreateApi.as_view(), name="bonuses"),
    # Results and quality (before the catch-all action route below).
    path(
        "projects/<int:project_id>/results/",
        results.ResultsApi.as_view(),
        name="project_results",
    ),
    path(
        "projects/<int:project_id>/aggregation/",
        results.AggregateApi.as_view(),
        name="project_aggregation",
    ),
    path(
        "projects/<int:project_id>/workers/",
        results.ProjectWorkersApi.as_view(),
        name="project_workers",
    ),
    path(
        "projects/<int:project_id>/workers/<int:worker_id>/block/",
        results.ProjectWorkerBlockApi.as_view(),
        name="project_worker_block",
    ),
    path(
        "projects/<int:project_id>/quality/",
        results.QualitySettingsApi.as_view(),
        name="project_quality",
    ),
    path("work/quality/", results.MyQualityApi.as_view(), name="my_quality"),
    path(
        "projects/<int:project_id>/<str:action>/",
        projects.ProjectActionApi.as_view(),
        name="project_action",
    ),
    path("imports/<int:batch_id>/", projects.ImportDetailApi.as_view(), name="import_detail"),
    path(
        "imports/<int:batch_id>/rejected/",
        projects.ImportRejectedApi.as_view(),
        name="import_rejected",
    ),
]
