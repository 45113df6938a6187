from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import api as accounts_api
from accounts import views as accounts_views
from marketplace import api_assignments
from workers import api_feed as workers_feed_api

api_v1 = [
    # The hot endpoints (claim, submit) first: URL resolution walks the list in order.
    path("assignments/", api_assignments.AssignmentListApi.as_view(), name="assignment_list"),
    path(
        "assignments/claim/", api_assignments.AssignmentClaimApi.as_view(), name="assignment_claim"
    ),
    path(
        "assignments/<int:assignment_id>/submit/",
        api_assignments.AssignmentSubmitApi.as_view(),
        name="assignment_submit",
    ),
    path(
        "assignments/<int:assignment_id>/skip/",
        api_assignments.AssignmentSkipApi.as_view(),
        name="assignment_skip",
    ),
    path(
        "assignments/<int:assignment_id>/return/",
        api_assignments.AssignmentReturnApi.as_view(),
        name="assignment_return",
    ),
    path(
        "assignments/<int:assignment_id>/heartbeat/",
        api_assignments.AssignmentHeartbeatApi.as_view(),
        name="assignment_heartbeat",
    ),
    path("me/", accounts_api.MeApi.as_view(), name="me"),
    path("auth/token/", accounts_api.TokenApi.as_view(), name="auth_token"),
    path("", include("payments.api_urls")),  # first: projects/<id>/reviews/
    path("", include("marketplace.api_urls")),
    path("", include("workers.api_urls")),
    path("work/feed/", workers_feed_api.TaskFeedApi.as_view(), name="task_feed"),
]

urlpatterns = [
    path("api/v1/", include((api_v1, "api"), namespace="api")),  # first: the hot path
    path("", accounts_views.landing, name="landing"),
    path("home/", accounts_views.home, name="home"),
    path("staff/", accounts_views.staff_console, name="staff_console"),
    path("requester/", include("marketplace.urls")),
    path("payments/", include("payments.urls")),
    path("work/", include("workers.urls")),
    path("", include(("workers.urls_workforce", "workforce"))),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
]
