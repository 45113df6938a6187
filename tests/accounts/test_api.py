import pytest
from django.urls import reverse

from accounts.models import Role
from marketplace.models import TemplateType
from marketplace.services.projects import project_create

pytestmark = pytest.mark.django_db


def test_token_auth_for_scripts(api_client, requester, password):
    response = api_client.post(
        reverse("api:auth_token"), {"email": requester.email, "password": password}
    )
    assert response.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    me = api_client.get(reverse("api:me")).json()
    assert me["email"] == requester.email
    assert me["role"] == Role.REQUESTER
    assert me["requester_account"]["name"] == "Org A"


def test_wrong_password_gets_the_one_error_format(api_client, requester):
    response = api_client.post(
        reverse("api:auth_token"), {"email": requester.email, "password": "nope"}
    )
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "invalid_credentials",
            "message": "Email or password is wrong.",
            "fields": {},
        }
    }


def test_validation_errors_name_the_field(api_client):
    response = api_client.post(reverse("api:auth_token"), {"email": "not-an-email"})
    error = response.json()["error"]
    assert response.status_code == 400
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"email", "password"}


def test_anonymous_api_calls_are_refused_in_the_same_format(api_client):
    response = api_client.get(reverse("api:me"))
    assert response.status_code in (401, 403)
    assert response.json()["error"]["code"] == "not_authenticated"


def test_session_auth_works_for_the_browser(client, worker):
    client.force_login(worker)
    assert client.get(reverse("api:me")).json()["role"] == Role.WORKER


def test_lists_are_paginated_and_scoped_to_the_organisation(api_client, requester, other_requester):
    for number in range(3):
        for owner in (requester, other_requester):
            project_create(
                account=owner.requester_account,
                created_by=owner,
                title=f"{owner.email} {number}",
                template_type=TemplateType.CLASSIFICATION,
                label_config={"labels": [{"value": "yes"}, {"value": "no"}]},
                reward_cents=5,
            )
    api_client.force_authenticate(requester)
    page = api_client.get(reverse("api:project_list"), {"page_size": 2}).json()
    assert page["count"] == 3
    assert len(page["results"]) == 2
    assert page["next"]
    titles = {item["title"] for item in page["results"]}
    assert all(title.startswith(requester.email) for title in titles)


def test_openapi_schema_and_docs_are_served_without_a_cdn(client):
    schema = client.get(reverse("api_schema"), {"format": "json"})
    assert schema.status_code == 200
    assert "/api/v1/me/" in schema.json()["paths"]
    docs = client.get(reverse("api_docs")).content.decode()
    assert "swagger-ui" in docs
    assert "cdn" not in docs.lower()
