import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from marketplace.models import Project, ProjectStatus, Task
from marketplace.services.projects import project_publish, tasks_add

pytestmark = pytest.mark.django_db

WIZARD = {
    "template_type": "classification",
    "title": "Sentiment",
    "description": "Positive or negative?",
    "labels": "positive | Recommends it | 1\nnegative | Advises against | 2",
    "instructions": "Pick the **overall** sentiment.",
    "reward_cents": 7,
    "overlap_min": 2,
    "overlap_max": 3,
    "confidence_target": 0.9,
    "gold_percent": 10,
    "time_limit_minutes": 5,
    "auto_approve_hours": 48,
    "priority": 1,
    "rating_min": 1,
    "rating_max": 5,
    "max_length": 2000,
}


@pytest.fixture
def logged_in(client, requester):
    client.force_login(requester)
    return client


def test_the_wizard_creates_a_draft_project_with_labels_and_settings(logged_in, requester):
    assert logged_in.get(reverse("marketplace:project_new")).status_code == 200
    response = logged_in.post(reverse("marketplace:project_new"), WIZARD)
    project = Project.objects.get()
    assert response["Location"] == reverse("marketplace:project_detail", args=[project.pk])
    assert project.account == requester.requester_account
    assert project.status == ProjectStatus.DRAFT
    assert [label["value"] for label in project.label_config["labels"]] == ["positive", "negative"]
    assert project.label_config["labels"][0]["shortcut"] == "1"
    assert (project.gold_ratio, project.time_limit_seconds, project.reward_cents) == (0.1, 300, 7)


def test_the_wizard_shows_label_problems_on_the_labels_field(logged_in):
    response = logged_in.post(reverse("marketplace:project_new"), {**WIZARD, "labels": "a\na"})
    assert response.status_code == 200
    assert "duplicate" in response.content.decode().lower()
    assert not Project.objects.exists()


def test_live_preview_renders_what_a_worker_sees_without_scripts(logged_in):
    response = logged_in.post(
        reverse("marketplace:project_preview"),
        {**WIZARD, "instructions": "Read **carefully** <script>alert(1)</script>"},
    )
    body = response.content.decode()
    assert "<strong>carefully</strong>" in body
    assert "<script>alert" not in body
    assert 'value="positive"' in body and "<kbd>1</kbd>" in body


def test_preview_explains_broken_labels(logged_in):
    response = logged_in.post(reverse("marketplace:project_preview"), {**WIZARD, "labels": "x"})
    assert "Fix the labels" in response.content.decode()


def test_cost_estimate_updates_from_the_pricing_inputs(logged_in, settings):
    settings.PLATFORM_FEE_BASIS_POINTS = 2000
    response = logged_in.post(
        reverse("marketplace:project_estimate"),
        {"tasks": 1000, "reward_cents": 5, "overlap_max": 3, "gold_percent": 10},
    )
    assert "$200.04" in response.content.decode()


def test_upload_publish_and_browse_from_the_project_page(logged_in, project):
    page = reverse("marketplace:project_detail", args=[project.pk])
    assert "Add at least one task" in logged_in.get(page).content.decode()
    upload = SimpleUploadedFile("t.csv", b"text,gold_answer\na cat,cat\na dog,\na bird,\n")
    response = logged_in.post(
        reverse("marketplace:import_upload", args=[project.pk]),
        {"file": upload, "mode": "all_or_nothing"},
    )
    assert response.status_code == 302
    status_page = logged_in.get(response["Location"]).content.decode()
    assert "Imported" in status_page and "3</strong> tasks added" in status_page
    logged_in.post(reverse("marketplace:project_action", args=[project.pk, "publish"]))
    project.refresh_from_db()
    assert project.status == ProjectStatus.ACTIVE
    tasks_page = logged_in.get(reverse("marketplace:project_tasks", args=[project.pk]))
    assert "<code>cat</code>" in tasks_page.content.decode()  # the requester sees gold answers


def test_a_refused_action_shows_why(logged_in, project):
    response = logged_in.post(
        reverse("marketplace:project_action", args=[project.pk, "publish"]), follow=True
    )
    assert "cannot be published yet" in response.content.decode()


def test_editing_a_live_project_locks_its_fixed_fields(logged_in, project):
    tasks_add(
        project=project,
        items=[{"data": {"text": "x"}}, {"data": {"text": "g"}, "gold_answer": "cat"}],
    )
    project_publish(project=project)
    form = logged_in.get(reverse("marketplace:project_edit", args=[project.pk])).context["form"]
    assert form.fields["reward_cents"].disabled and form.fields["labels"].disabled
    assert not form.fields["overlap_max"].disabled
    logged_in.post(
        reverse("marketplace:project_edit", args=[project.pk]),
        {**WIZARD, "title": "Renamed", "reward_cents": 999, "overlap_min": 2, "overlap_max": 4},
    )
    project.refresh_from_db()
    assert (project.title, project.reward_cents, project.overlap_max) == ("Renamed", 5, 4)
    assert Task.objects.get(is_gold=False).overlap == 4


def test_task_list_pages_by_keyset(logged_in, project):
    tasks_add(project=project, items=[{"data": {"text": str(n)}} for n in range(120)])
    first = logged_in.get(reverse("marketplace:project_tasks", args=[project.pk]))
    assert first.context["next_after"] is not None
    second = logged_in.get(
        reverse("marketplace:project_tasks", args=[project.pk]),
        {"after": first.context["next_after"]},
    )
    ids_first = [task.id for task in first.context["tasks"]]
    ids_second = [task.id for task in second.context["tasks"]]
    assert len(ids_first) == 50 and len(ids_second) == 50
    assert max(ids_first) < min(ids_second)
