"""The worker's assignment API: payloads, errors, idempotency, auth and the lean claim path."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.authentication import forget_token
from accounts.models import Role
from marketplace.models import Assignment, AssignmentStatus, Task
from marketplace.services import assignments as assignments_service
from tests.marketplace.factories import ProjectFactory, TaskFactory, WorkerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_gold_ratios():
    assignments_service._gold_ratios.clear()


def client_for(api_client, user):
    token, _ = Token.objects.get_or_create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api_client


def claim(client, **body):
    return client.post(reverse("api:assignment_claim"), body, format="json")


def submit(client, assignment_id, answer, **extra):
    return client.post(
        reverse("api:assignment_submit", args=[assignment_id]),
        {"answer": answer},
        format="json",
        **extra,
    )


def test_claim_returns_the_assignment_with_the_task_data(api_client):
    project = ProjectFactory(time_limit_seconds=120)
    task = TaskFactory(project=project, data={"text": "A purring animal"})
    client = client_for(api_client, WorkerFactory())
    response = claim(client, project=project.pk)
    assert response.status_code == 200
    body = response.json()
    assignment = Assignment.objects.get()
    assert body == {
        "assignment": assignment.pk,
        "expires_at": body["expires_at"],
        "project": {"id": project.pk, "title": project.title, "template_type": "classification"},
        "data": task.data,
    }
    assert assignment.expires_at.isoformat().replace("+00:00", "Z") == body["expires_at"]


def test_a_gold_task_looks_exactly_like_any_other(api_client):
    project = ProjectFactory(gold_ratio=1.0)
    TaskFactory(project=project, data={"text": "regular"})
    TaskFactory(project=project, data={"text": "gold"}, gold=True)
    client = client_for(api_client, WorkerFactory())
    gold, regular = claim(client, project=project.pk).json(), claim(client, project=project.pk)
    regular = regular.json()
    assert gold["data"] == {"text": "gold"}
    assert regular["data"] == {"text": "regular"}
    assert gold.keys() == regular.keys()
    assert gold["project"] == regular["project"]
    assert regular["assignment"] == gold["assignment"] + 1
    history = client.get(reverse("api:assignment_list")).json()["results"]
    assert history[0].keys() == history[1].keys()
    for text in (str(gold), str(regular), str(history)):
        assert "gold" not in text.replace("'text': 'gold'", "")
        assert "task" not in text


def test_nothing_to_do_is_204(api_client):
    project = ProjectFactory()
    response = claim(client_for(api_client, WorkerFactory()), project=project.pk)
    assert response.status_code == 204


def test_a_missing_project_is_a_clear_404(api_client):
    response = claim(client_for(api_client, WorkerFactory()), project=999999)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "project_not_available"


def test_a_bad_project_id_names_the_field(api_client):
    response = claim(client_for(api_client, WorkerFactory()), project="seven")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["project"]


def test_requester_cannot_claim(api_client, make_user):
    project = ProjectFactory()
    TaskFactory(project=project)
    response = claim(client_for(api_client, make_user(Role.REQUESTER)), project=project.pk)
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "Only workers can do this."
    assert not Assignment.objects.exists()


def test_anonymous_cannot_claim(api_client):
    assert claim(api_client).status_code in (401, 403)


def test_submit_and_a_retried_submit_give_the_same_response_and_one_answer(api_client):
    project = ProjectFactory()
    TaskFactory(project=project)
    client = client_for(api_client, WorkerFactory())
    assignment = claim(client, project=project.pk).json()["assignment"]
    first = submit(client, assignment, "cat", HTTP_IDEMPOTENCY_KEY="abc")
    again = submit(client, assignment, "cat", HTTP_IDEMPOTENCY_KEY="abc")
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert first.json()["status"] == "submitted"
    assert Task.objects.get().answers_count == 1
    other = submit(client, assignment, "dog")
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "already_submitted"


def test_an_invalid_answer_names_the_field(api_client):
    project = ProjectFactory()
    TaskFactory(project=project)
    client = client_for(api_client, WorkerFactory())
    assignment = claim(client, project=project.pk).json()["assignment"]
    response = submit(client, assignment, "horse")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "horse" in error["fields"]["answer"][0]
    missing = client.post(reverse("api:assignment_submit", args=[assignment]), {}, format="json")
    assert missing.json()["error"]["fields"] == {"answer": ["This field is required."]}


def test_another_workers_assignment_is_404(api_client):
    project = ProjectFactory()
    TaskFactory(project=project)
    owner = client_for(api_client, WorkerFactory())
    assignment = claim(owner, project=project.pk).json()["assignment"]
    stranger = client_for(api_client, WorkerFactory())
    for name in ("assignment_skip", "assignment_return", "assignment_heartbeat"):
        response = stranger.post(reverse(f"api:{name}", args=[assignment]))
        assert response.status_code == 404
    assert submit(stranger, assignment, "cat").status_code == 404
    assert Assignment.objects.get().status == AssignmentStatus.LIVE


def test_skip_return_and_heartbeat_endpoints(api_client):
    project = ProjectFactory()
    TaskFactory.create_batch(2, project=project)
    client = client_for(api_client, WorkerFactory())
    first = claim(client, project=project.pk).json()
    beat = client.post(reverse("api:assignment_heartbeat", args=[first["assignment"]]))
    assert beat.status_code == 200 and beat.json()["status"] == "live"
    skipped = client.post(reverse("api:assignment_skip", args=[first["assignment"]]))
    assert skipped.json()["status"] == "skipped"
    second = claim(client, project=project.pk).json()["assignment"]
    returned = client.post(reverse("api:assignment_return", args=[second]))
    assert returned.json()["status"] == "returned"
    assert claim(client, project=project.pk).status_code == 204
    refused = client.post(reverse("api:assignment_heartbeat", args=[second]))
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "lease_expired"


def test_history_lists_only_the_workers_own_assignments_paginated(api_client):
    project = ProjectFactory(overlap_min=2, overlap_max=2)
    TaskFactory.create_batch(3, project=project)
    me = client_for(api_client, WorkerFactory())
    for _ in range(3):
        claim(me, project=project.pk)
    other = client_for(APIClient(), WorkerFactory())
    claim(other, project=project.pk)
    page = me.get(reverse("api:assignment_list"), {"page_size": 2}).json()
    assert page["count"] == 3
    assert len(page["results"]) == 2
    assert page["next"]


def test_claim_with_a_cached_token_runs_one_sql_statement(api_client):
    project = ProjectFactory()
    TaskFactory.create_batch(3, project=project)
    client = client_for(api_client, WorkerFactory())
    claim(client, project=project.pk)  # warms the token cache and the gold ratio
    with CaptureQueriesContext(connection) as queries:
        assert claim(client, project=project.pk).status_code == 200
    statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 1, statements


def test_a_revoked_token_is_refused(api_client):
    worker = WorkerFactory()
    client = client_for(api_client, worker)
    assert client.get(reverse("api:assignment_list")).status_code == 200
    key = Token.objects.get(user=worker).key
    Token.objects.filter(key=key).delete()
    assert client.get(reverse("api:assignment_list")).status_code == 200  # cached a while
    forget_token(key)
    refused = client.get(reverse("api:assignment_list"))
    assert refused.status_code in (401, 403)
    assert refused.json()["error"]["code"] == "authentication_failed"


def test_the_schema_documents_the_assignment_endpoints(api_client):
    schema = api_client.get(reverse("api_schema"), {"format": "json"}).json()
    for path in ("claim/", "{assignment_id}/submit/", "{assignment_id}/heartbeat/"):
        assert f"/api/v1/assignments/{path}" in schema["paths"]
