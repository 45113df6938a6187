"""Requester-side API routes (projects, tasks, imports), included under /api/v1/."""

from django.urls import path

from marketplace import api

urlpatterns = [
    path("projects/", api.ProjectListApi.as_view(), name="project_list"),
]
