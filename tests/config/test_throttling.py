"""Every API endpoint is throttled per user and per client address (config/throttling.py), and
a client cannot buy a fresh budget by writing its own X-Forwarded-For."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

from config.throttling import RequestRateThrottle

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(settings):
    def set_rates(**rates):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"anon": "", "user": "", "address": "", **rates},
        }

    return set_rates


def _api_views(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _api_views(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            view_class = getattr(entry.callback, "view_class", None) or getattr(
                entry.callback, "cls", None
            )
            if view_class is not None and issubclass(view_class, APIView):
                yield prefix + str(entry.pattern), view_class


def test_every_api_view_is_throttled():
    views = list(_api_views())
    assert len(views) > 50
    unthrottled = [
        route
        for route, view_class in views
        if not any(issubclass(t, RequestRateThrottle) for t in view_class.throttle_classes)
    ]
    assert unthrottled == []


def test_a_signed_in_user_over_the_limit_gets_429_in_the_error_shape(
    api_client, requester, other_requester, rates
):
    rates(user="3/min")
    api_client.force_authenticate(requester)
    assert [api_client.get("/api/v1/projects/").status_code for _ in range(3)] == [200] * 3

    refused = api_client.get("/api/v1/projects/")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 60

    api_client.force_authenticate(other_requester)  # another user keeps their own budget
    assert api_client.get("/api/v1/projects/").status_code == 200


def test_a_forged_forwarded_for_header_does_not_reset_the_login_limit(api_client, rates):
    rates(anon="3/min")
    body = {"email": "nobody@example.com", "password": "wrong"}
    codes = [
        api_client.post(
            "/api/v1/auth/token/", body, format="json", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}"
        ).status_code
        for n in range(5)
    ]
    assert codes == [401, 401, 401, 429, 429]


def test_many_accounts_from_one_address_share_the_address_limit(
    api_client, requester, other_requester, rates
):
    rates(address="4/min")
    for user in (requester, other_requester):
        api_client.force_authenticate(user)
        api_client.get("/api/v1/projects/")
        api_client.get("/api/v1/projects/")
    assert api_client.get("/api/v1/projects/").status_code == 429
