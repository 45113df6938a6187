"""Two requester organisations and a worker: nobody reaches another organisation's projects,
tasks or imports through any page or endpoint."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.services.imports import import_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def foreign(make_project, other_requester):
    """A project and an import that belong to the *other* organisation."""
    project = make_project(other_requester, title="Theirs")
    batch = import_start(
        project=project,
        uploaded_by=other_requester,
        upload=SimpleUploadedFile("t.csv", b"text,gold_answer\nx,\ny,zebra\n"),
        mode="skip_bad_rows",
    )
    return project, batch


PAGES = [
    ("get", "/requester/projects/{p}/"),
    ("get", "/requester/projects/{p}/edit/"),
    ("get", "/requester/projects/{p}/tasks/"),
    ("post", "/requester/projects/{p}/publish/"),
    ("post", "/requester/projects/{p}/imports/"),
    ("get", "/requester/imports/{b}/"),
    ("get", "/requester/imports/{b}/rejected/"),
]
APIS = [
    ("get", "/api/v1/projects/{p}/"),
    ("patch", "/api/v1/projects/{p}/"),
    ("post", "/api/v1/projects/{p}/publish/"),
    ("post", "/api/v1/projects/{p}/archive/"),
    ("get", "/api/v1/projects/{p}/tasks/"),
    ("post", "/api/v1/projects/{p}/tasks/"),
    ("post", "/api/v1/projects/{p}/imports/"),
    ("get", "/api/v1/imports/{b}/"),
    ("get", "/api/v1/imports/{b}/rejected/"),
]


def test_the_owner_reaches_the_same_objects(client, other_requester, foreign):
    """The control for the tests below: the objects exist and their owner sees them."""
    project, batch = foreign
    client.force_login(other_requester)
    for method, url in PAGES:
        if method == "get":
            assert client.get(url.format(p=project.pk, b=batch.pk)).status_code == 200, url


@pytest.mark.parametrize(("method", "url"), PAGES)
def test_another_organisations_pages_are_not_found(client, requester, foreign, method, url):
    project, batch = foreign
    client.force_login(requester)
    response = getattr(client, method)(url.format(p=project.pk, b=batch.pk))
    assert response.status_code == 404


@pytest.mark.parametrize(("method", "url"), PAGES)
def test_workers_cannot_open_requester_pages(client, worker, foreign, method, url):
    project, batch = foreign
    client.force_login(worker)
    assert getattr(client, method)(url.format(p=project.pk, b=batch.pk)).status_code == 403


@pytest.mark.parametrize(("method", "url"), APIS)
def test_another_organisations_api_objects_are_not_found(
    api_client, requester, foreign, method, url
):
    project, batch = foreign
    api_client.force_authenticate(requester)
    response = getattr(api_client, method)(url.format(p=project.pk, b=batch.pk), {}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(("method", "url"), APIS)
def test_workers_are_refused_requester_endpoints(api_client, worker, foreign, method, url):
    project, batch = foreign
    api_client.force_authenticate(worker)
    response = getattr(api_client, method)(url.format(p=project.pk, b=batch.pk), {}, format="json")
    assert response.status_code == 403


def test_project_lists_never_mix_organisations(api_client, client, requester, foreign):
    api_client.force_authenticate(requester)
    assert api_client.get("/api/v1/projects/").json()["results"] == []
    client.force_login(requester)
    assert "Theirs" not in client.get("/requester/").content.decode()
