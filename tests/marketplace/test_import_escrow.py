"""Tasks added to a live (active or paused) project reserve escrow for their slots, in the same
transaction as the insert: by file import (during the request, in Celery eagerly, and through a
real worker) and by the JSON API. Short funds write nothing and say how much to add."""

import csv
import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from marketplace.models import ImportMode, ImportStatus, Task
from marketplace.pricing import estimate_cost
from marketplace.services.imports import import_start
from marketplace.services.projects import project_pause, project_publish, tasks_add
from payments import ledger

pytestmark = pytest.mark.django_db


def csv_upload(rows, name="tasks.csv"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("external_id", "text", "gold_answer"))
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode(), content_type="text/csv")


def new_rows(regular, gold=0, start=100):
    rows = [(f"t{n}", f"item {n}", "") for n in range(start, start + regular)]
    return rows + [(f"g{n}", f"gold {n}", "cat") for n in range(start, start + gold)]


def money(project):
    """(available, escrow) balances in cents of the project's organisation and its escrow."""
    available = ledger.requester_available_account(project.account_id)
    escrow = ledger.project_escrow_account(project)
    available.refresh_from_db()
    escrow.refresh_from_db()
    return available.balance_cents, escrow.balance_cents


@pytest.fixture
def live_project(project):
    """Active: 2 regular tasks and 1 gold, overlap 3, 5 ¢ reward, gold ratio 0.1, 20 % fee."""
    tasks_add(
        project=project,
        items=[
            {"data": {"text": "a"}},
            {"data": {"text": "b"}},
            {"data": {"text": "g"}, "gold_answer": "cat"},
        ],
    )
    return project_publish(project=project)


def cost(project, regular_tasks):
    return estimate_cost(
        tasks=regular_tasks,
        overlap_max=project.overlap_max,
        reward_cents=project.reward_cents,
        gold_ratio=project.gold_ratio,
    ).total_cents


@pytest.mark.parametrize("status", ["active", "paused"])
def test_importing_into_a_live_project_moves_the_new_slots_cost_into_escrow(live_project, status):
    if status == "paused":
        live_project = project_pause(project=live_project)
    available, escrow = money(live_project)
    assert escrow == cost(live_project, 2) == 42  # 6 regular + 1 gold answers x 5 ¢ + 20 %

    batch = import_start(project=live_project, uploaded_by=None, upload=csv_upload(new_rows(10, 2)))

    assert batch.status == ImportStatus.SUCCEEDED
    # 12 regular tasks x 3 = 36 answers, with 4 gold ones: 40 x 5 ¢ = 200 + 40 fee = 240.
    assert cost(live_project, 12) == 240
    assert money(live_project) == (available - 198, 240)
    live_project.refresh_from_db()
    assert (live_project.tasks_count, live_project.gold_tasks_count) == (15, 3)


def test_a_reimport_reserves_only_for_the_tasks_it_adds(live_project):
    import_start(project=live_project, uploaded_by=None, upload=csv_upload(new_rows(10)))
    available, escrow = money(live_project)
    again = import_start(
        project=live_project, uploaded_by=None, upload=csv_upload(new_rows(12))
    )  # 10 already there, 2 new
    assert (again.rows_accepted, again.rows_already_present) == (2, 10)
    assert money(live_project) == (
        available - (cost(live_project, 14) - escrow),
        cost(live_project, 14),
    )


def test_a_gold_upload_into_a_live_project_reserves_nothing(live_project):
    before = money(live_project)
    gold = import_start(
        project=live_project,
        uploaded_by=None,
        upload=csv_upload(new_rows(0, 3)),
        gold_only=True,
    )
    assert (gold.status, gold.gold_accepted) == (ImportStatus.SUCCEEDED, 3)
    assert money(live_project) == before


def test_a_draft_import_moves_no_money(make_project, requester):
    draft = make_project(requester)
    available, _ = money(draft)
    import_start(project=draft, uploaded_by=None, upload=csv_upload(new_rows(10)))
    assert money(draft) == (available, 0)


@pytest.mark.parametrize("mode", [ImportMode.ALL_OR_NOTHING, ImportMode.SKIP_BAD_ROWS])
def test_short_funds_write_nothing_and_say_how_much_to_add(make_project, requester, mode):
    project = make_project(requester, reward_cents=50_000)
    tasks_add(
        project=project, items=[{"data": {"text": "x"}}, {"data": {"t": 1}, "gold_answer": "cat"}]
    )
    project = project_publish(project=project)
    before = money(project)

    # 100 tasks x 3 answers x $500 is far more than the organisation's $100,000.
    batch = import_start(
        project=project, uploaded_by=None, upload=csv_upload(new_rows(100, 1)), mode=mode
    )

    assert batch.status == ImportStatus.FAILED
    assert batch.rows_accepted == 0
    assert batch.error_message.startswith("Nothing was imported: the project is live")
    assert "Add at least $" in batch.error_message
    assert money(project) == before
    assert Task.objects.filter(project=project).count() == 2
    project.refresh_from_db()
    assert (project.tasks_count, project.gold_tasks_count) == (2, 1)


def test_the_background_import_reserves_too(
    live_project, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_BACKGROUND_BYTES = 10  # every file counts as large; Celery is eager here
    available, _ = money(live_project)
    with django_capture_on_commit_callbacks(execute=True):
        batch = import_start(
            project=live_project, uploaded_by=None, upload=csv_upload(new_rows(10))
        )
    batch.refresh_from_db()
    assert batch.status == ImportStatus.SUCCEEDED
    assert money(live_project) == (available - 198, 240)


def test_the_import_page_says_how_much_to_add(client, make_project, requester):
    project = make_project(requester, reward_cents=50_000, gold_ratio=0)
    tasks_add(project=project, items=[{"data": {"text": "x"}}])
    project = project_publish(project=project)
    client.force_login(requester)
    response = client.post(
        reverse("marketplace:import_upload", args=[project.pk]),
        {"file": csv_upload(new_rows(100)), "mode": ImportMode.ALL_OR_NOTHING},
        follow=True,
    )
    page = response.content.decode()
    assert "Nothing was imported: the project is live" in page
    assert "Add at least $" in page
    assert Task.objects.filter(project=project).count() == 1


# -- a real worker, through Redis ----------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_worker_import_into_a_live_project_reserves_or_fails_whole(
    make_project, requester, settings, celery_worker
):
    settings.IMPORT_BACKGROUND_BYTES = 10
    project = make_project(requester, reward_cents=10_000, gold_ratio=0)  # $100 an answer
    tasks_add(project=project, items=[{"data": {"text": "a"}}, {"data": {"text": "b"}}])
    project = project_publish(project=project)
    available, _ = money(project)

    def import_and_wait(upload):
        batch = import_start(project=project, uploaded_by=None, upload=upload)
        deadline = time.monotonic() + 30
        while batch.status in (ImportStatus.PENDING, ImportStatus.RUNNING):
            assert time.monotonic() < deadline, "the worker did not finish the import"
            time.sleep(0.1)
            batch.refresh_from_db()
        return batch

    done = import_and_wait(csv_upload(new_rows(10)))
    assert (done.status, done.rows_accepted) == (ImportStatus.SUCCEEDED, 10)
    assert money(project) == (available - (cost(project, 12) - cost(project, 2)), cost(project, 12))

    # 1,000 more tasks need $360,000 in escrow; the organisation has under $100,000.
    big = import_and_wait(csv_upload(new_rows(1000, start=1000)))
    assert big.status == ImportStatus.FAILED
    assert "Add at least $" in big.error_message
    assert Task.objects.filter(project=project).count() == 12


# -- the JSON add-tasks API --------------------------------------------------------------------


def test_adding_tasks_by_api_to_a_live_project_reserves_their_slots(
    api_client, requester, live_project
):
    api_client.force_authenticate(requester)
    available, _ = money(live_project)
    url = f"/api/v1/projects/{live_project.pk}/tasks/"
    items = [{"data": {"text": f"n{n}"}, "external_id": f"n{n}"} for n in range(10)]
    response = api_client.post(
        url, [*items, {"data": {"text": "g"}, "gold_answer": "cat"}], format="json"
    )
    assert response.status_code == 201, response.json()
    assert money(live_project) == (available - 198, 240)


def test_api_tasks_that_funds_cannot_cover_are_refused_whole(api_client, make_project, requester):
    project = make_project(requester, reward_cents=50_000, gold_ratio=0)
    tasks_add(project=project, items=[{"data": {"text": "x"}}])
    project = project_publish(project=project)
    before = money(project)
    api_client.force_authenticate(requester)
    items = [{"data": {"text": f"n{n}"}} for n in range(100)]
    response = api_client.post(f"/api/v1/projects/{project.pk}/tasks/", items, format="json")
    assert response.status_code == 400
    assert "Add at least $" in response.json()["error"]["message"]
    assert money(project) == before
    assert Task.objects.filter(project=project).count() == 1


def test_api_tasks_with_a_repeated_or_known_external_id_are_refused_by_index(
    api_client, requester, live_project
):
    tasks_add(project=live_project, items=[{"data": {"text": "k"}, "external_id": "known"}])
    api_client.force_authenticate(requester)
    items = [
        {"data": {"text": "1"}, "external_id": "x"},
        {"data": {"text": "2"}, "external_id": "known"},
        {"data": {"text": "3"}, "external_id": "x"},
    ]
    response = api_client.post(f"/api/v1/projects/{live_project.pk}/tasks/", items, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "1": ["external_id: the project already has a task 'known'."],
        "2": ["external_id: 'x' is also item 0."],
    }
    assert not Task.objects.filter(external_id="x").exists()
