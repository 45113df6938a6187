import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.models import Project, ProjectStatus, Task
from tests.marketplace.conftest import LABELS

pytestmark = pytest.mark.django_db

NEW = {
    "title": "Animals",
    "template_type": "classification",
    "label_config": LABELS,
    "reward_cents": 5,
    "overlap_min": 2,
    "overlap_max": 3,
    "gold_ratio": 0.1,
}


@pytest.fixture
def api(api_client, requester):
    api_client.force_authenticate(requester)
    return api_client


def test_a_requester_builds_and_publishes_a_project_through_the_api(api):
    created = api.post("/api/v1/projects/", NEW, format="json")
    assert created.status_code == 201, created.json()
    project_id = created.json()["id"]
    assert created.json()["actions"] == ["publish", "archive"]
    upload = SimpleUploadedFile("t.csv", b"external_id,text,gold_answer\n1,a,\n2,b,dog\n")
    imported = api.post(f"/api/v1/projects/{project_id}/imports/", {"file": upload})
    assert imported.status_code == 201
    assert imported.json()["rows_accepted"] == 2
    assert api.get(f"/api/v1/imports/{imported.json()['id']}/").json()["status"] == "succeeded"
    published = api.post(f"/api/v1/projects/{project_id}/publish/")
    assert published.status_code == 200
    body = published.json()
    assert body["status"] == ProjectStatus.ACTIVE
    assert body["progress"]["tasks"] == 1 and body["progress"]["gold_tasks"] == 1
    assert body["cost_estimate"]["total_cents"] > 0


def test_invalid_labels_are_reported_on_the_label_config_field(api):
    response = api.post(
        "/api/v1/projects/", {**NEW, "label_config": {"labels": [{"value": "x"}]}}, format="json"
    )
    assert response.status_code == 400
    assert "label_config" in response.json()["error"]["fields"]
    assert not Project.objects.exists()


def test_refused_transitions_are_conflicts(api, project):
    response = api.post(f"/api/v1/projects/{project.pk}/resume/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "transition_refused"


def test_patch_respects_what_a_live_project_may_change(api, project):
    Task.objects.create(project=project, data={"text": "x"})
    Task.objects.create(project=project, data={"text": "g"}, is_gold=True, gold_answer="cat")
    Project.objects.filter(pk=project.pk).update(tasks_count=2, gold_tasks_count=1)
    api.post(f"/api/v1/projects/{project.pk}/publish/")
    refused = api.patch(f"/api/v1/projects/{project.pk}/", {"reward_cents": 1}, format="json")
    assert refused.status_code == 400
    assert "reward_cents" in refused.json()["error"]["fields"]
    allowed = api.patch(f"/api/v1/projects/{project.pk}/", {"priority": 9}, format="json")
    assert allowed.json()["priority"] == 9


def test_adding_tasks_as_json_reports_every_bad_item_and_writes_nothing(api, project):
    items = [
        {"data": {"text": "ok"}},
        {"data": {}},
        {"data": {"text": "g"}, "gold_answer": "zebra"},
    ]
    response = api.post(f"/api/v1/projects/{project.pk}/tasks/", items, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"1", "2"}
    assert not Task.objects.exists()
    response = api.post(f"/api/v1/projects/{project.pk}/tasks/", items[:1], format="json")
    assert response.json() == {"added": 1}


def test_task_list_uses_cursor_pagination_and_shows_gold_to_the_owner(api, project):
    api.post(
        f"/api/v1/projects/{project.pk}/tasks/",
        [{"data": {"text": str(n)}, "gold_answer": "cat" if n == 0 else None} for n in range(5)],
        format="json",
    )
    page = api.get(f"/api/v1/projects/{project.pk}/tasks/", {"page_size": 2}).json()
    assert len(page["results"]) == 2 and page["next"]
    assert page["results"][0]["gold_answer"] == "cat"
    following = api.get(page["next"]).json()
    assert following["results"][0]["id"] > page["results"][1]["id"]
    gold = api.get(f"/api/v1/projects/{project.pk}/tasks/", {"is_gold": "true"}).json()
    assert len(gold["results"]) == 1


def test_preview_returns_example_data_and_safe_instructions(api):
    response = api.post(
        "/api/v1/projects/preview/",
        {"template_type": "spans", "label_config": LABELS, "instructions": "<b>x</b><script>"},
        format="json",
    )
    assert response.status_code == 200
    assert "text" in response.json()["example_data"]
    assert "<script" not in response.json()["instructions_html"]


def test_workers_see_active_projects_without_gold_or_labels_config(api_client, worker, project):
    Project.objects.filter(pk=project.pk).update(status=ProjectStatus.ACTIVE)
    api_client.force_authenticate(worker)
    body = api_client.get("/api/v1/projects/").json()
    assert [item["id"] for item in body["results"]] == [project.pk]
    assert "gold_tasks_count" not in body["results"][0]
    assert api_client.post("/api/v1/projects/", NEW, format="json").status_code == 403


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("overlap_max", 32767),
        ("overlap_min", 0),
        ("priority", 32767),
        ("priority", -32768),
        ("time_limit_seconds", 10**9),
        ("time_limit_seconds", 5),
        ("auto_approve_seconds", 10**9),
        ("confidence_target", 0.1),
    ],
)
def test_the_api_keeps_the_same_bounds_as_the_wizard(api, field, value):
    """One validation for every write path: what the wizard's form refuses, the API refuses
    with the field named (and nothing is written)."""
    response = api.post("/api/v1/projects/", {**NEW, field: value}, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]
    assert not Project.objects.exists()


def test_an_update_beyond_the_bounds_is_refused_with_the_field(api):
    project_id = api.post("/api/v1/projects/", NEW, format="json").json()["id"]
    response = api.patch(f"/api/v1/projects/{project_id}/", {"priority": 500}, format="json")
    assert response.status_code == 400
    assert "priority" in response.json()["error"]["fields"]
    assert Project.objects.get(pk=project_id).priority == 0
