"""Review of quality-rule flags and blocks: staff across the platform, requesters on their own
projects; each review applies its outcome, is stored once and is audited in one transaction."""

import threading

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from marketplace.models import AssignmentStatus, ProjectBlock, QualityAction
from marketplace.services.quality import quality_rules_run
from tests.marketplace.factories import AssignmentFactory, ProjectFactory, TaskFactory
from workers.models import AuditLogEntry, QualityReview, WorkerSuspension
from workers.services.errors import WorkforceError
from workers.services.quality_review import quality_action_review

pytestmark = pytest.mark.django_db


def gold_blocked(worker, project):
    """Let the real gold-accuracy rule block the worker: 3 wrong gold answers."""
    project.block_gold_accuracy_below = 0.7
    project.block_min_gold_answers = 3
    project.save()
    for _ in range(3):
        AssignmentFactory(
            task=TaskFactory(project=project, gold=True),
            worker=worker,
            status=AssignmentStatus.SUBMITTED,
            answer="dog",
            submitted_at=timezone.now(),
            duration_ms=4000,
        )
    quality_rules_run(project_id=project.pk, worker_id=worker.pk)
    return QualityAction.objects.get(project=project, worker=worker, action="block")


def flagged(worker, project, rule="fast_answers"):
    AssignmentFactory(
        task=TaskFactory(project=project),
        worker=worker,
        status=AssignmentStatus.SUBMITTED,
        answer="cat",
        submitted_at=timezone.now(),
    )
    return QualityAction.objects.create(
        project=project, worker=worker, rule=rule, action="flag", reason="5 answers under 2 s."
    )


@pytest.fixture
def project(requester):
    return ProjectFactory(account=requester.requester_account)


def test_dismissing_a_gold_block_lifts_it_and_is_audited(staff_user, worker, project):
    action = gold_blocked(worker, project)
    assert ProjectBlock.objects.filter(project=project, worker=worker).exists()

    review = quality_action_review(
        actor=staff_user, quality_action_id=action.pk, confirm=False, reason="Gold task was wrong"
    )

    assert review.decision == "lift_block" and review.reviewed_by == staff_user
    assert not ProjectBlock.objects.filter(project=project, worker=worker).exists()
    entry = AuditLogEntry.objects.get(action="quality_review")
    assert (entry.actor, entry.worker, entry.reason) == (staff_user, worker, "Gold task was wrong")
    assert (
        entry.details["decision"] == "lift_block" and entry.details["quality_action"] == action.pk
    )
    assert worker.notifications.filter(text__contains="was lifted").exists()


def test_confirming_a_block_keeps_it_and_a_second_review_is_refused(staff_user, worker, project):
    action = gold_blocked(worker, project)
    quality_action_review(actor=staff_user, quality_action_id=action.pk, confirm=True, reason="ok")
    with pytest.raises(WorkforceError, match=r"Already reviewed by staff@example\.com"):
        quality_action_review(
            actor=staff_user, quality_action_id=action.pk, confirm=False, reason="changed mind"
        )
    assert ProjectBlock.objects.filter(project=project, worker=worker).exists()
    assert QualityReview.objects.get().decision == "keep_block"
    assert AuditLogEntry.objects.filter(action="quality_review").count() == 1


def test_a_flag_escalates_to_a_project_block_or_a_suspension(staff_user, make_user, project):
    fast, constant = make_user(), make_user()
    quality_action_review(
        actor=staff_user,
        quality_action_id=flagged(fast, project).pk,
        confirm=True,
        escalate_to="project_block",
        reason="Clicking through",
    )
    quality_action_review(
        actor=staff_user,
        quality_action_id=flagged(constant, project, "constant_answers").pk,
        confirm=True,
        escalate_to="suspension",
        reason="Bot-like answers everywhere",
    )
    assert ProjectBlock.objects.get(worker=fast).reason == "Clicking through"
    assert WorkerSuspension.objects.get(worker=constant).reason == "Bot-like answers everywhere"
    assert set(QualityReview.objects.values_list("decision", flat=True)) == {
        "escalate_block",
        "escalate_suspension",
    }


def test_bad_review_input_says_which_field_and_writes_nothing(staff_user, worker, project):
    flag = flagged(worker, project)
    cases = [
        ({"confirm": True, "escalate_to": "", "reason": "x"}, "escalate_to"),
        ({"confirm": False, "escalate_to": "project_block", "reason": "x"}, "escalate_to"),
        ({"confirm": False, "escalate_to": "", "reason": "  "}, "reason"),
    ]
    for kwargs, field in cases:
        with pytest.raises(WorkforceError) as refused:
            quality_action_review(actor=staff_user, quality_action_id=flag.pk, **kwargs)
        assert field in refused.value.fields
    assert not QualityReview.objects.exists() and not AuditLogEntry.objects.exists()


def test_a_failed_outcome_rolls_the_review_back(staff_user, worker, project):
    """Suspending an already suspended worker is refused: no review row, no audit entry."""
    WorkerSuspension.objects.create(worker=worker, reason="earlier", created_by=staff_user)
    flag = flagged(worker, project)
    with pytest.raises(WorkforceError, match="already suspended"):
        quality_action_review(
            actor=staff_user,
            quality_action_id=flag.pk,
            confirm=True,
            escalate_to="suspension",
            reason="again",
        )
    assert not QualityReview.objects.exists()
    assert not AuditLogEntry.objects.filter(action="quality_review").exists()


def test_requesters_review_only_their_projects_and_cannot_suspend(
    requester, other_requester, worker, project
):
    flag = flagged(worker, project)
    with pytest.raises(WorkforceError) as refused:
        quality_action_review(
            actor=other_requester, quality_action_id=flag.pk, confirm=False, reason="not mine"
        )
    assert refused.value.http_status == 404
    with pytest.raises(WorkforceError) as refused:
        quality_action_review(
            actor=requester,
            quality_action_id=flag.pk,
            confirm=True,
            escalate_to="suspension",
            reason="x",
        )
    assert refused.value.http_status == 403
    review = quality_action_review(
        actor=requester, quality_action_id=flag.pk, confirm=False, reason="Fast but right"
    )
    assert review.account_id == requester.requester_account_id
    assert AuditLogEntry.objects.get().account_id == requester.requester_account_id


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_at_once_make_one_review(make_user, requester):
    project = ProjectFactory(account=requester.requester_account)
    staff = [make_user("staff"), make_user("staff")]
    worker = make_user()
    action = gold_blocked(worker, project)
    barrier, outcomes = threading.Barrier(2), []

    def review(actor, confirm):
        try:
            barrier.wait()
            quality_action_review(
                actor=actor, quality_action_id=action.pk, confirm=confirm, reason="race"
            )
            outcomes.append("ok")
        except WorkforceError as error:
            outcomes.append(error.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=review, args=(s, i == 0)) for i, s in enumerate(staff)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes)[-1] == "ok" and sorted(outcomes)[0].startswith("Already reviewed")
    assert QualityReview.objects.count() == 1
    assert AuditLogEntry.objects.filter(action="quality_review").count() == 1


# --- Pages ------------------------------------------------------------------------------------


def test_staff_review_a_flag_in_one_click_with_htmx(client, staff_user, worker, project):
    flag = flagged(worker, project)
    other = flagged(worker, ProjectFactory(), rule="constant_answers")
    client.force_login(staff_user)
    page = client.get(reverse("workforce:staff_quality"), {"kind": "flag"})
    body = page.content.decode()
    assert f'id="quality-action-{flag.pk}"' in body and f'id="quality-action-{other.pk}"' in body

    row = client.post(
        reverse("workforce:staff_quality_review", args=[flag.pk]),
        {"outcome": "dismiss", "reason": "Fast typist, gold is fine"},
        headers={"HX-Request": "true"},
    )
    assert row.status_code == 200
    assert "Dismissed: false positive" in row.content.decode()
    assert "<html" not in row.content.decode()  # just the row
    still_open = client.get(reverse("workforce:staff_quality")).content.decode()
    assert f'id="quality-action-{flag.pk}"' not in still_open
    assert f'id="quality-action-{other.pk}"' in still_open


def test_a_review_without_a_reason_shows_the_error_in_the_row(client, staff_user, worker, project):
    flag = flagged(worker, project)
    client.force_login(staff_user)
    row = client.post(
        reverse("workforce:staff_quality_review", args=[flag.pk]),
        {"outcome": "confirm:project_block", "reason": ""},
        headers={"HX-Request": "true"},
    )
    assert "reason: This field is required." in row.content.decode()
    assert not ProjectBlock.objects.exists()


def test_requester_page_shows_only_their_projects_and_404s_others(
    client, requester, other_requester, worker, project
):
    mine = flagged(worker, project)
    theirs = flagged(worker, ProjectFactory(account=other_requester.requester_account))
    client.force_login(requester)
    body = client.get(reverse("workforce:requester_quality")).content.decode()
    assert f"quality-action-{mine.pk}" in body and f"quality-action-{theirs.pk}" not in body
    refused = client.post(
        reverse("workforce:requester_quality_review", args=[theirs.pk]),
        {"outcome": "dismiss", "reason": "x"},
    )
    assert refused.status_code == 404
    done = client.post(
        reverse("workforce:requester_quality_review", args=[mine.pk]),
        {"outcome": "confirm:project_block", "reason": "Too fast", "next": "?status=all"},
    )
    assert done.headers["Location"] == reverse("workforce:requester_quality") + "?status=all"
    assert ProjectBlock.objects.filter(project=project, worker=worker).exists()


def test_the_queue_pages_newest_first_with_a_cursor(client, staff_user, worker, project):
    flags = [flagged(worker, project) for _ in range(55)]
    client.force_login(staff_user)
    first = client.get(reverse("workforce:staff_quality"))
    rows = first.content.decode().count('data-testid="quality-action"')
    assert rows == 50 and f"quality-action-{flags[-1].pk}" in first.content.decode()
    cursor = first.context["page"].next_cursor
    second = client.get(reverse("workforce:staff_quality"), {"cursor": cursor})
    assert [a.pk for a in second.context["page"].rows] == [f.pk for f in reversed(flags[:5])]
    assert second.context["page"].next_cursor == ""


# --- API --------------------------------------------------------------------------------------


def test_api_lists_filters_and_reviews(api_client, staff_user, worker, project):
    block = gold_blocked(worker, project)
    flag = flagged(worker, project)
    api_client.force_authenticate(staff_user)
    listed = api_client.get(reverse("api:quality_action_list"), {"kind": "block"})
    assert [row["id"] for row in listed.json()["results"]] == [block.pk]
    assert listed.json()["results"][0]["review"] is None

    refused = api_client.post(
        reverse("api:quality_action_review", args=[flag.pk]),
        {"decision": "confirm", "reason": "x"},
        format="json",
    )
    assert refused.status_code == 400
    assert "escalate_to" in refused.json()["error"]["fields"]

    done = api_client.post(
        reverse("api:quality_action_review", args=[block.pk]),
        {"decision": "dismiss", "reason": "Gold key fixed"},
        format="json",
    )
    assert done.status_code == 200
    assert done.json()["review"]["decision"] == "lift_block"
    assert done.json()["review"]["reviewed_by_email"] == "staff@example.com"
    again = api_client.post(
        reverse("api:quality_action_review", args=[block.pk]),
        {"decision": "confirm", "reason": "x"},
        format="json",
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state"
    reviewed = api_client.get(reverse("api:quality_action_list"), {"status": "reviewed"})
    assert [row["id"] for row in reviewed.json()["results"]] == [block.pk]


def test_api_roles_and_tenancy(api_client, requester, other_requester, worker, project):
    flag = flagged(worker, project)
    api_client.force_authenticate(worker)
    assert api_client.get(reverse("api:quality_action_list")).status_code == 403
    assert (
        api_client.post(
            reverse("api:quality_action_review", args=[flag.pk]),
            {"decision": "dismiss", "reason": "x"},
            format="json",
        ).status_code
        == 403
    )
    api_client.force_authenticate(other_requester)
    assert api_client.get(reverse("api:quality_action_list")).json()["results"] == []
    assert (
        api_client.post(
            reverse("api:quality_action_review", args=[flag.pk]),
            {"decision": "dismiss", "reason": "x"},
            format="json",
        ).status_code
        == 404
    )
    api_client.force_authenticate(requester)
    assert [
        r["id"] for r in api_client.get(reverse("api:quality_action_list")).json()["results"]
    ] == [flag.pk]
