from django.urls import path

from marketplace import views

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
    path("projects/<int:project_id>/<str:action>/", views.project_action, name="project_action"),
    path("imports/<int:batch_id>/", views.import_detail, name="import_detail"),
    path("imports/<int:batch_id>/rejected/", views.import_rejected, name="import_rejected"),
    path("file-formats/", views.file_formats, name="file_formats"),
]
