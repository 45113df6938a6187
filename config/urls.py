"""Root URLs: each app owns its routes (``<app>/urls.py`` for pages, ``<app>/api_urls.py`` for
the API under /api/v1/); this module only includes them."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

# The admin's own login page has no failed-login limit: staff log in through the site's login
# page (allauth's limits, email verification), then come back.
admin.site.login = secure_admin_login(admin.site.login)

api_v1 = [
    # The marketplace first: its claim and submit routes are the hot path, and URL resolution
    # walks the list in order.
    path("", include("marketplace.api_urls")),
    path("", include("accounts.api_urls")),
    path("", include("payments.api_urls")),
    path("", include("workers.api_urls")),
]

urlpatterns = [
    path("api/v1/", include((api_v1, "api"), namespace="api")),  # first: the hot path
    path("", include("accounts.urls")),
    path("requester/", include("marketplace.urls")),
    path("payments/", include("payments.urls")),
    path("", include("workers.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
]
