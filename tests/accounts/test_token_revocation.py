"""API tokens stop at once when a worker is suspended or deactivated, and follow a role change
at once, despite the token cache (issue 12, findings 5 and 7; docs/security.md "Suspended
workers: no payouts, no tokens")."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from accounts.models import Role
from workers.services.moderation import worker_suspend, worker_unsuspend

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker_api(api_client, worker):
    token, _ = Token.objects.get_or_create(user=worker)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api_client.get("/api/v1/me/").status_code == 200  # the token is cached now
    return api_client


def test_a_suspended_workers_token_is_refused_on_the_next_request(
    worker_api, worker, staff_user, api_client
):
    staff = api_client.__class__()
    staff.force_authenticate(staff_user)
    suspended = staff.post(
        f"/api/v1/workforce/workers/{worker.pk}/suspend/", {"reason": "Bots"}, format="json"
    )
    assert suspended.status_code < 300, suspended.content

    refused = worker_api.get("/api/v1/me/")
    assert refused.status_code in (401, 403)
    assert refused.json()["error"]["code"] == "access_on_hold"
    assert worker_api.get("/api/v1/payouts/").status_code in (401, 403)

    worker_unsuspend(actor=staff_user, worker=worker, reason="Appeal upheld")
    assert worker_api.get("/api/v1/me/").status_code == 200


def test_a_token_issued_while_suspended_does_not_work_either(api_client, worker, staff_user):
    worker_suspend(actor=staff_user, worker=worker, reason="Bots")
    token, _ = Token.objects.get_or_create(user=worker)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api_client.get("/api/v1/me/").status_code in (401, 403)
    assert api_client.get("/api/v1/me/").status_code in (401, 403)  # cached as held too


def test_a_deactivated_users_token_is_refused_on_the_next_request(worker_api, worker):
    worker.is_active = False
    worker.save()  # as the admin's user page does

    assert worker_api.get("/api/v1/me/").status_code in (401, 403)


def test_a_role_change_is_seen_on_the_next_request(worker_api, worker):
    worker.role = Role.STAFF
    worker.save(update_fields=["role"])

    assert worker_api.get("/api/v1/me/").json()["role"] == "staff"


def test_a_login_does_not_empty_the_token_cache(worker_api, worker):
    worker.save(update_fields=["last_login"])
    with CaptureQueriesContext(connection) as queries:
        assert worker_api.get("/api/v1/me/").status_code == 200
    assert not [q for q in queries if "authtoken_token" in q["sql"]]
