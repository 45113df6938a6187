"""Quality rules: blocks on low gold accuracy (enforced by the claim), flags for fast and
constant answering, discarding a blocked worker's answers, and what the worker is shown."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from marketplace.models import (
    Assignment,
    ProjectBlock,
    QualityAction,
    ReviewStatus,
    Task,
    WorkerProjectStats,
)
from marketplace.services import assignments as assignments_service
from marketplace.services.assignments import assignment_claim, assignment_submit
from marketplace.services.quality import quality_rules_run
from marketplace.services.worker_stats import wilson_interval
from tests.marketplace.factories import ProjectFactory, TaskFactory, WorkerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_gold_ratios():
    assignments_service._gold_ratios.clear()


def gold_answers(project, worker, *, correct, wrong, duration_ms=8000):
    """The worker answered ``correct + wrong`` gold tasks (gold answer "cat")."""
    now = timezone.now()
    for index in range(correct + wrong):
        task = TaskFactory(project=project, gold=True)
        Assignment.objects.create(
            task=task,
            worker=worker,
            project=project,
            is_gold=True,
            status="submitted",
            answer="cat" if index < correct else "dog",
            claimed_at=now - timedelta(milliseconds=duration_ms),
            expires_at=now + timedelta(minutes=10),
            submitted_at=now,
            duration_ms=duration_ms,
        )


def test_wilson_interval_is_honest_about_few_answers():
    assert wilson_interval(0, 0) is None
    low, high = wilson_interval(3, 3)
    assert low == pytest.approx(0.4385, abs=1e-4) and high == 1.0
    low, high = wilson_interval(90, 100)
    assert 0.82 < low < 0.9 < high < 0.95


def test_a_worker_whose_gold_accuracy_is_surely_too_low_is_blocked_and_cannot_claim():
    project = ProjectFactory(block_gold_accuracy_below=0.5, block_min_gold_answers=5)
    TaskFactory.create_batch(3, project=project)
    spammer, careful = WorkerFactory.create_batch(2)
    gold_answers(project, spammer, correct=1, wrong=3)
    gold_answers(project, careful, correct=5, wrong=0)

    assert quality_rules_run(project_id=project.pk, worker_id=spammer.pk).blocked is False

    gold_answers(project, spammer, correct=0, wrong=1)  # the fifth gold answer
    outcome = quality_rules_run(project_id=project.pk, worker_id=spammer.pk)

    assert outcome.blocked is True
    (action,) = outcome.actions
    assert (action.rule, action.action) == ("gold_accuracy", "block")
    assert "1 of 5 gold answers correct" in action.reason
    assert assignment_claim(worker=spammer, project=project) is None
    assert quality_rules_run(project_id=project.pk, worker_id=careful.pk).blocked is False
    assert assignment_claim(worker=careful, project=project) is not None


def test_a_submission_runs_the_rules_and_a_block_can_discard_pending_answers(
    django_capture_on_commit_callbacks,
):
    project = ProjectFactory(
        block_gold_accuracy_below=0.6,
        block_min_gold_answers=3,
        block_discards_answers=True,
        overlap_min=2,
        overlap_max=2,
    )
    tasks = TaskFactory.create_batch(3, project=project)
    spammer = WorkerFactory()
    gold_answers(project, spammer, correct=0, wrong=2)
    first = assignment_claim(worker=spammer, project=project)
    assignment_submit(worker=spammer, assignment_id=first.assignment_id, answer="dog")
    gold_answers(project, spammer, correct=0, wrong=1)
    second = assignment_claim(worker=spammer, project=project)

    with django_capture_on_commit_callbacks(execute=True):
        assignment_submit(worker=spammer, assignment_id=second.assignment_id, answer="dog")

    block = ProjectBlock.objects.get(project=project, worker=spammer)
    assert block.created_by is None and "0 of 3" in block.reason
    action = QualityAction.objects.get(project=project, worker=spammer, action="block")
    assert action.answers_discarded == 5  # two regular and three gold answers were pending
    rejected = Assignment.objects.filter(worker=spammer, review_status=ReviewStatus.REJECTED)
    assert rejected.count() == 5
    assert all(a.rejection_reason.startswith("Blocked by quality rule: ") for a in rejected)
    regular = Task.objects.filter(pk__in=[t.pk for t in tasks])
    assert sum(task.slots_taken for task in regular) == 0  # their slots re-opened
    assert assignment_claim(worker=WorkerFactory(), project=project) is not None


def test_fast_answers_are_flagged_once_without_blocking():
    project = ProjectFactory(fast_answer_seconds=2, fast_answer_count=3)
    worker = WorkerFactory()
    gold_answers(project, worker, correct=2, wrong=0, duration_ms=900)
    assert quality_rules_run(project_id=project.pk, worker_id=worker.pk).actions == []

    gold_answers(project, worker, correct=1, wrong=0, duration_ms=500)
    (flag,) = quality_rules_run(project_id=project.pk, worker_id=worker.pk).actions
    assert (flag.rule, flag.action) == ("fast_answers", "flag")
    assert flag.reason == "3 answers took less than 2 seconds each."
    assert quality_rules_run(project_id=project.pk, worker_id=worker.pk).actions == []
    assert not ProjectBlock.objects.exists()


def test_constant_answering_is_flagged_only_with_low_gold_accuracy():
    project = ProjectFactory(
        constant_answer_run=3, constant_gold_accuracy_below=0.7, overlap_min=1, overlap_max=1
    )
    TaskFactory.create_batch(6, project=project)
    honest, lazy = WorkerFactory.create_batch(2)
    gold_answers(project, honest, correct=3, wrong=0)
    gold_answers(project, lazy, correct=1, wrong=2)
    for worker in (honest, lazy):
        for _ in range(3):
            claimed = assignment_claim(worker=worker, project=project)
            assignment_submit(worker=worker, assignment_id=claimed.assignment_id, answer="cat")

    assert quality_rules_run(project_id=project.pk, worker_id=honest.pk).actions == []
    (flag,) = quality_rules_run(project_id=project.pk, worker_id=lazy.pk).actions
    assert flag.rule == "constant_answers" and "3 times in a row" in flag.reason


def test_the_worker_sees_their_blocks_and_flags_on_a_page_and_in_the_api(
    client, api_client, worker
):
    project = ProjectFactory(
        title="Bird photos", block_gold_accuracy_below=0.9, block_min_gold_answers=2
    )
    gold_answers(project, worker, correct=0, wrong=2)
    quality_rules_run(project_id=project.pk, worker_id=worker.pk)

    client.force_login(worker)
    page = client.get("/requester/quality/")
    assert page.status_code == 200
    assert "Bird photos" in page.content.decode() and "0 of 2 gold answers" in page.content.decode()

    api_client.force_authenticate(worker)
    body = api_client.get("/api/v1/work/quality/").json()
    assert body["blocks"][0]["project_title"] == "Bird photos"
    assert body["actions"][0]["rule"] == "gold_accuracy"


def test_a_requester_blocks_and_unblocks_by_hand_and_other_organisations_cannot(
    api_client, requester, other_requester
):
    project = ProjectFactory(account=requester.requester_account)
    TaskFactory(project=project)
    worker = WorkerFactory()
    gold_answers(project, worker, correct=1, wrong=0)
    url = f"/api/v1/projects/{project.pk}/workers/{worker.pk}/block/"

    api_client.force_authenticate(other_requester)
    assert api_client.post(url, {"reason": "x"}, format="json").status_code == 404

    api_client.force_authenticate(requester)
    created = api_client.post(url, {"reason": "Ignores the guidelines"}, format="json")
    assert created.status_code == 201
    assert api_client.post(url, {"reason": "again"}, format="json").status_code == 409
    assert assignment_claim(worker=worker, project=project) is None
    assert api_client.delete(url).status_code == 204
    assert assignment_claim(worker=worker, project=project) is not None
    actions = list(QualityAction.objects.filter(worker=worker).values_list("action", flat=True))
    assert sorted(actions) == ["block", "unblock"]


def test_requesters_see_worker_quality_and_edit_rules_in_the_api(api_client, requester):
    project = ProjectFactory(account=requester.requester_account)
    worker = WorkerFactory()
    gold_answers(project, worker, correct=2, wrong=1)
    quality_rules_run(project_id=project.pk, worker_id=worker.pk)
    api_client.force_authenticate(requester)

    rows = api_client.get(f"/api/v1/projects/{project.pk}/workers/").json()["results"]
    assert rows[0]["worker_id"] == worker.pk
    assert (rows[0]["gold_correct"], rows[0]["gold_answers"]) == (2, 3)
    assert rows[0]["blocked"] is False

    url = f"/api/v1/projects/{project.pk}/quality/"
    changed = api_client.patch(url, {"block_gold_accuracy_below": 0.8}, format="json")
    assert changed.status_code == 200 and changed.json()["block_gold_accuracy_below"] == 0.8
    bad = api_client.patch(url, {"block_gold_accuracy_below": 3}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid"


def test_the_workers_page_shows_quality_and_saves_rules(client, requester):
    project = ProjectFactory(account=requester.requester_account)
    worker = WorkerFactory()
    gold_answers(project, worker, correct=2, wrong=0)
    quality_rules_run(project_id=project.pk, worker_id=worker.pk)
    client.force_login(requester)

    page = client.get(f"/requester/projects/{project.pk}/workers/").content.decode()
    assert f"#{worker.pk}" in page and "2/2" in page
    review = reverse("workforce:requester_quality") + f"?project={project.pk}"
    assert f'href="{review}"' in page
    assert client.get(review).status_code == 200

    response = client.post(
        f"/requester/projects/{project.pk}/workers/",
        {
            "block_gold_accuracy_below": "0.75",
            "block_min_gold_answers": "4",
            "fast_answer_count": "5",
            "constant_gold_accuracy_below": "0.7",
        },
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.block_gold_accuracy_below, project.block_min_gold_answers) == (0.75, 4)


@pytest.mark.django_db(transaction=True)
def test_rules_racing_for_the_same_worker_block_and_record_once():
    project = ProjectFactory(block_gold_accuracy_below=0.7, block_min_gold_answers=3)
    worker = WorkerFactory()
    gold_answers(project, worker, correct=0, wrong=4)
    barrier = threading.Barrier(4)
    errors = []

    def run():
        try:
            barrier.wait()
            quality_rules_run(project_id=project.pk, worker_id=worker.pk)
        except Exception as error:  # re-raised below in the test thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors, errors
    assert ProjectBlock.objects.filter(worker=worker).count() == 1
    assert QualityAction.objects.filter(worker=worker, action="block").count() == 1
    assert WorkerProjectStats.objects.filter(worker=worker).count() == 1
