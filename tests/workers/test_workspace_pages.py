"""The worker's feed and workspace pages, and the feed API: who may see them, what they offer,
and that nothing in them tells a gold task apart."""

import re

import pytest
from django.urls import reverse

from accounts.models import Role
from marketplace.models import (
    Assignment,
    AssignmentStatus,
    ProjectStatus,
    TemplateType,
    WorkerProjectStats,
)
from marketplace.selectors.quality import ACCURACY_WINDOW_ANSWERS
from marketplace.services.assignments import (
    assignment_claim,
    assignment_skip,
    assignment_submit,
)
from marketplace.task_types import task_type
from tests.marketplace.factories import ProjectFactory, TaskFactory
from workers.selectors import feed as worker_selectors

pytestmark = pytest.mark.django_db

SECRET = "zebra-crossing-secret-answer"


@pytest.fixture
def worker_client(client, worker):
    client.force_login(worker)
    return client


def _feed_html(client) -> str:
    response = client.get(reverse("workers:task_feed"))
    assert response.status_code == 200
    return response.content.decode()


def _next(client, project) -> str:
    response = client.post(reverse("workers:task_next", args=[project.pk]))
    assert response.status_code == 200
    return response.content.decode()


# --- Access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["task_feed", "workspace", "task_next"])
def test_anonymous_visitors_are_sent_to_log_in(client, name):
    project = ProjectFactory()
    url = reverse(f"workers:{name}", args=[] if name == "task_feed" else [project.pk])
    response = client.post(url) if name == "task_next" else client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", ["task_feed", "workspace", "task_next"])
def test_requesters_may_not_open_worker_pages(client, requester, name):
    client.force_login(requester)
    project = ProjectFactory(account=requester.requester_account)
    TaskFactory(project=project)
    url = reverse(f"workers:{name}", args=[] if name == "task_feed" else [project.pk])
    response = client.post(url) if name == "task_next" else client.get(url)
    assert response.status_code == 403
    assert not Assignment.objects.exists()


def test_the_feed_api_is_for_workers_only(api_client, requester, worker):
    url = reverse("api:task_feed")
    assert api_client.get(url).status_code in (401, 403)
    api_client.force_authenticate(requester)
    response = api_client.get(url)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    api_client.force_authenticate(worker)
    assert api_client.get(url).status_code == 200


# --- Feed -----------------------------------------------------------------------------------


def test_the_feed_offers_active_projects_with_reward_time_limit_and_tasks_left(worker_client):
    project = ProjectFactory(title="Cats and dogs", reward_cents=125, time_limit_seconds=90)
    TaskFactory.create_batch(3, project=project)
    html = _feed_html(worker_client)
    assert "Cats and dogs" in html
    assert "$1.25 per task" in html
    assert "1 min 30 s" in html
    assert re.search(r'data-testid="remaining">3<', html)
    assert re.search(r'data-testid="accuracy">—<', html)
    assert reverse("workers:workspace", args=[project.pk]) in html


def test_the_feed_shows_the_typical_time_per_task_and_what_it_pays_per_hour(
    worker_client, api_client, worker, make_user
):
    timed = ProjectFactory(title="Timed", reward_cents=10)
    fresh = ProjectFactory(title="Fresh", reward_cents=10)
    for project in (timed, fresh):
        TaskFactory.create_batch(2, project=project)
    # Two workers who answered in a median of 10 s and 20 s: 15 s a task, 240 tasks an hour.
    for median_ms in (10_000, 20_000):
        WorkerProjectStats.objects.create(
            project=timed, worker=make_user(Role.WORKER), answers=5, median_duration_ms=median_ms
        )
    html = _feed_html(worker_client)
    assert re.search(r'data-testid="typical-time">≈ 15 s per task <small>\(≈ \$24.00/hour', html)
    assert html.count("no estimate yet") == 1  # the fresh project
    api_client.force_authenticate(worker)
    entries = {
        entry["project"]["title"]: entry
        for entry in api_client.get(reverse("api:task_feed")).json()
    }
    assert (entries["Timed"]["typical_task_seconds"], entries["Timed"]["hourly_rate_cents"]) == (
        15,
        2400,
    )
    assert (entries["Fresh"]["typical_task_seconds"], entries["Fresh"]["hourly_rate_cents"]) == (
        None,
        None,
    )


@pytest.mark.parametrize(
    "status", [ProjectStatus.DRAFT, ProjectStatus.PAUSED, ProjectStatus.COMPLETED]
)
def test_projects_that_are_not_active_are_not_offered(worker_client, status):
    project = ProjectFactory(title="Not open right now", status=status)
    TaskFactory(project=project)
    html = _feed_html(worker_client)
    assert "Not open right now" not in html
    assert 'data-testid="no-work"' in html
    assert worker_client.get(reverse("workers:workspace", args=[project.pk])).status_code == 404
    assert 'data-testid="project-unavailable"' in _next(worker_client, project)
    assert not Assignment.objects.exists()


def test_a_project_the_worker_has_finished_leaves_their_feed(worker_client, worker):
    project = ProjectFactory(title="Two items")
    TaskFactory.create_batch(2, project=project)
    for _ in range(2):
        claimed = assignment_claim(worker=worker, project=project)
        assignment_submit(worker=worker, assignment_id=claimed.assignment_id, answer="cat")
    assert "Two items" not in _feed_html(worker_client)


def test_the_feed_counts_the_tasks_this_worker_can_still_get_gold_included(
    worker_client, worker, make_user
):
    project = ProjectFactory(overlap_max=1, overlap_min=1)
    TaskFactory.create_batch(4, project=project)
    TaskFactory(project=project, gold=True)  # counted: a claim must not tell gold apart
    other = make_user(Role.WORKER)
    assignment_claim(worker=other, project=project)  # takes the only slot of one task
    claimed = assignment_claim(worker=worker, project=project)
    assignment_submit(worker=worker, assignment_id=claimed.assignment_id, answer="dog")
    assert re.search(r'data-testid="remaining">3<', _feed_html(worker_client))
    # Gold is served only alongside regular work: with no regular task left, nothing is left.
    for _ in range(2):
        claimed = assignment_claim(worker=worker, project=project)
        assignment_submit(worker=worker, assignment_id=claimed.assignment_id, answer="dog")
    assert 'data-testid="no-work"' in _feed_html(worker_client)


def test_accuracy_is_the_share_of_gold_answers_that_matched_over_closed_windows(
    worker_client, worker, api_client
):
    project = ProjectFactory(gold_ratio=1.0)
    TaskFactory.create_batch(ACCURACY_WINDOW_ANSWERS, project=project)
    for _ in range(4):
        TaskFactory(project=project, gold=True)  # gold answer "cat", served first (ratio 1)
    answers = iter(["cat", "cat", "cat", "dog"] + ["dog"] * ACCURACY_WINDOW_ANSWERS)
    api_client.force_authenticate(worker)

    def answer_one():
        claimed = assignment_claim(worker=worker, project=project)
        assignment_submit(worker=worker, assignment_id=claimed.assignment_id, answer=next(answers))

    for _ in range(ACCURACY_WINDOW_ANSWERS - 1):
        answer_one()
    # Four checks answered, but the window is not closed: nothing is shown yet.
    assert re.search(r'data-testid="accuracy">—<', _feed_html(worker_client))
    [entry] = api_client.get(reverse("api:task_feed")).json()
    assert entry["accuracy"] is None
    answer_one()  # the 20th answer closes the window
    html = _feed_html(worker_client)
    assert re.search(r'data-testid="accuracy">75% <small>\(3/4 checks;', html)
    [entry] = api_client.get(reverse("api:task_feed")).json()
    assert entry["accuracy"] == {
        "answered": 4,
        "correct": 3,
        "percent": 75,
        "answers_until_update": ACCURACY_WINDOW_ANSWERS,
    }


def test_the_feed_api_gives_what_a_custom_front_end_needs(api_client, worker):
    config = task_type(TemplateType.CLASSIFICATION).clean_config(
        {"labels": [{"value": "cat", "shortcut": "1"}, "dog"]}
    )
    project = ProjectFactory(label_config=config, instructions="Look **closely**.")
    TaskFactory.create_batch(2, project=project)
    api_client.force_authenticate(worker)
    [entry] = api_client.get(reverse("api:task_feed")).json()
    assert entry["project"]["id"] == project.pk
    assert entry["project"]["label_config"] == config
    assert entry["project"]["shortcuts"] == {"1": "cat"}
    assert entry["project"]["instructions_html"] == "<p>Look <strong>closely</strong>.</p>"
    assert entry["tasks_remaining"] == 2
    assert entry["live_assignment"] is None
    assert entry["accuracy"] is None


# --- Workspace ------------------------------------------------------------------------------


def test_the_workspace_shows_instructions_timer_and_shortcut_keys(worker_client):
    config = task_type(TemplateType.CLASSIFICATION).clean_config(
        {"labels": [{"value": "cat", "shortcut": "1"}, {"value": "dog", "shortcut": "2"}]}
    )
    project = ProjectFactory(label_config=config, instructions="Only **real** animals.")
    TaskFactory(project=project)
    response = worker_client.get(reverse("workers:workspace", args=[project.pk]))
    html = response.content.decode()
    assert "<strong>real</strong>" in html
    assert 'data-testid="countdown"' in html
    assert "<kbd>1</kbd> cat" in html
    assert "js/workspace.js" in html and "css/workspace.css" in html
    # Opening the page claims nothing: the script claims with a POST.
    assert not Assignment.objects.exists()


def test_next_claims_a_task_and_renders_it_interactively(worker_client, worker):
    project = ProjectFactory()
    TaskFactory(project=project, data={"text": "A tabby on a sofa"})
    html = _next(worker_client, project)
    assignment = Assignment.objects.get(worker=worker)
    assert f'data-assignment="{assignment.pk}"' in html
    assert "A tabby on a sofa" in html
    assert 'value="cat"' in html and "disabled" not in html


def test_reloading_resumes_the_live_task_instead_of_claiming_another(worker_client, worker):
    project = ProjectFactory()
    TaskFactory.create_batch(3, project=project)
    first = _next(worker_client, project)
    again = _next(worker_client, project)
    assert first == again
    assert Assignment.objects.filter(worker=worker, status=AssignmentStatus.LIVE).count() == 1


def test_no_more_work_is_said_plainly(worker_client, worker):
    project = ProjectFactory()
    TaskFactory(project=project)
    claimed = assignment_claim(worker=worker, project=project)
    assignment_skip(worker=worker, assignment_id=claimed.assignment_id)
    html = _next(worker_client, project)
    assert 'data-testid="no-more-work"' in html
    assert "No more work here for now" in html


def test_only_post_claims_work(worker_client):
    project = ProjectFactory()
    TaskFactory(project=project)
    assert worker_client.get(reverse("workers:task_next", args=[project.pk])).status_code == 405
    assert not Assignment.objects.exists()


def _without_assignment_and_data(html: str, text: str) -> str:
    html = re.sub(r'data-assignment="\d+"', "", html)
    html = re.sub(r'data-expires-at="[^"]+"', "", html)
    return html.replace(text, "")


def test_a_gold_task_renders_exactly_like_a_regular_one_and_never_shows_its_answer(
    client, make_user
):
    config = task_type(TemplateType.FREE_TEXT).clean_config({"max_length": 500})
    project = ProjectFactory(
        template_type=TemplateType.FREE_TEXT, label_config=config, gold_ratio=0.5
    )
    TaskFactory(project=project, data={"text": "regular item"}, overlap=40)
    TaskFactory(
        project=project,
        data={"text": "gold item"},
        is_gold=True,
        gold_answer=SECRET,
        gold_explanation="explained-" + SECRET,
    )
    pages = {}
    for _ in range(40):
        worker = make_user(Role.WORKER)
        client.force_login(worker)
        # Every page and fragment this worker sees, for whichever task they got.
        html = _next(client, project)
        html += client.get(reverse("workers:workspace", args=[project.pk])).content.decode()
        html += client.get(reverse("workers:task_feed")).content.decode()
        assert SECRET not in html
        assert "gold" not in html.replace("gold item", "").lower()
        text = "gold item" if "gold item" in html else "regular item"
        pages[text] = _without_assignment_and_data(_next(client, project), text)
        if len(pages) == 2:
            break
    assert set(pages) == {"gold item", "regular item"}
    assert pages["gold item"] == pages["regular item"]


def test_a_rating_scale_lists_its_keys_as_one_range(worker_client):
    config = task_type(TemplateType.RATING).clean_config({"min": 1, "max": 5})
    project = ProjectFactory(template_type=TemplateType.RATING, label_config=config)
    TaskFactory(project=project)
    html = worker_client.get(reverse("workers:workspace", args=[project.pk])).content.decode()
    assert "<kbd>1 to 5</kbd> rating" in html
    assert "<kbd>1</kbd> 1" not in html


def test_a_big_project_shows_a_capped_count_of_tasks_left(worker_client, monkeypatch):
    monkeypatch.setattr(worker_selectors, "REMAINING_CAP", 3)
    monkeypatch.setattr(
        worker_selectors,
        "_REMAINING_SQL",
        worker_selectors._REMAINING_SQL.replace("LIMIT 1001", "LIMIT 4"),
    )
    project = ProjectFactory()
    TaskFactory.create_batch(5, project=project)
    assert re.search(r'data-testid="remaining">3\+<', _feed_html(worker_client))
