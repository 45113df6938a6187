"""Requesters review answers from the pages and the API; money follows; other organisations
see nothing."""

import pytest
from django.urls import reverse

from accounts.models import Role
from marketplace.models import Assignment, ReviewStatus
from marketplace.services.projects import project_publish
from payments import ledger
from payments.services.funds import funds_deposit

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_project(requester, draft):
    funds_deposit(requester_account=requester.requester_account, amount_cents=10_000, reference="W")
    return project_publish(project=draft(tasks=4))


@pytest.fixture
def api(api_client, requester):
    api_client.force_authenticate(requester)
    return api_client


def test_bulk_approval_through_the_api_pays_each_worker_once(api, live_project, answer):
    answers = [answer(live_project) for _ in range(3)]
    ids = [a.pk for a in answers]

    response = api.post(
        f"/api/v1/projects/{live_project.pk}/reviews/",
        {"assignment_ids": ids, "action": "approve"},
        format="json",
    )
    again = api.post(
        f"/api/v1/projects/{live_project.pk}/reviews/",
        {"assignment_ids": ids, "action": "approve"},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json() == {"reviewed": 3, "refused": 0}
    assert again.json() == {"reviewed": 3, "refused": 0}  # approving twice is a no-op
    for assignment in answers:
        assert ledger.worker_payable_account(assignment.worker).balance_cents == 5
    assert ledger.platform_fees_balance_cents() == 3


def test_bulk_rejection_without_a_reason_is_refused_in_the_api_error_format(
    api, live_project, answer
):
    assignment = answer(live_project)
    response = api.post(
        f"/api/v1/projects/{live_project.pk}/reviews/",
        {"assignment_ids": [assignment.pk], "action": "reject"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["reason"] == ["A rejection needs a reason."]


def test_single_approve_and_reject_endpoints(api, live_project, answer):
    good, bad = answer(live_project), answer(live_project)

    approved = api.post(f"/api/v1/assignments/{good.pk}/approve/")
    rejected = api.post(f"/api/v1/assignments/{bad.pk}/reject/", {"reason": "Random clicks"})
    approve_rejected = api.post(f"/api/v1/assignments/{bad.pk}/approve/")

    assert approved.json()["review_status"] == "approved"
    assert rejected.json()["review_status"] == "rejected"
    assert rejected.json()["rejection_reason"] == "Random clicks"
    assert approve_rejected.status_code == 409
    assert approve_rejected.json()["error"]["code"] == "review_refused"


def test_the_review_queue_lists_only_pending_answers(api, live_project, answer):
    pending, reviewed = answer(live_project), answer(live_project)
    api.post(f"/api/v1/assignments/{reviewed.pk}/approve/")

    body = api.get(f"/api/v1/projects/{live_project.pk}/reviews/").json()

    assert [row["id"] for row in body["results"]] == [pending.pk]


def test_another_organisation_cannot_see_or_review_answers(
    api_client, other_requester, live_project, answer
):
    assignment = answer(live_project)
    api_client.force_authenticate(other_requester)

    responses = [
        api_client.get(f"/api/v1/projects/{live_project.pk}/reviews/"),
        api_client.post(
            f"/api/v1/projects/{live_project.pk}/reviews/",
            {"assignment_ids": [assignment.pk], "action": "approve"},
            format="json",
        ),
        api_client.post(f"/api/v1/assignments/{assignment.pk}/approve/"),
        api_client.post(f"/api/v1/assignments/{assignment.pk}/reject/", {"reason": "x"}),
    ]

    assert [r.status_code for r in responses] == [404] * 4
    assignment.refresh_from_db()
    assert assignment.review_status == ReviewStatus.PENDING


def test_workers_are_refused_review_and_funds_endpoints(api_client, worker, live_project):
    api_client.force_authenticate(worker)
    for url in [f"/api/v1/projects/{live_project.pk}/reviews/", "/api/v1/funds/"]:
        assert api_client.get(url).status_code == 403


def test_funds_api_shows_available_escrow_and_history(api, live_project):
    funds = api.get("/api/v1/funds/").json()
    history = api.get("/api/v1/funds/ledger/").json()

    # 4 tasks x 3 answers x 5 cents + 20 % = 72 cents in escrow.
    assert (funds["available_cents"], funds["escrow_cents"]) == (10_000 - 72, 72)
    assert funds["escrows"][0]["project_id"] == live_project.pk
    assert [(row["kind"], row["amount_cents"]) for row in history["results"]] == [
        ("reserve", 72),
        ("reserve", -72),
        ("deposit", 10_000),
    ]


def test_staff_record_a_bank_transfer_once_per_reference(api_client, staff_user, requester):
    api_client.force_authenticate(staff_user)
    body = {
        "requester_account_id": requester.requester_account_id,
        "amount_cents": 2_500,
        "reference": "BANK-42",
    }
    first = api_client.post("/api/v1/funds/deposits/", body, format="json")
    second = api_client.post("/api/v1/funds/deposits/", body, format="json")

    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert ledger.requester_available_account(requester.requester_account).balance_cents == 2_500


def test_worker_earnings_show_pending_and_approved(api_client, live_project, answer, make_user):
    worker = make_user(Role.WORKER)
    first, second = answer(live_project, worker=worker), None
    api_client.force_authenticate(live_project.created_by)
    api_client.post(f"/api/v1/assignments/{first.pk}/approve/")
    second = answer(live_project, worker=worker)
    assert second.pk != first.pk

    api_client.force_authenticate(worker)
    earnings = api_client.get("/api/v1/earnings/").json()

    assert earnings == {
        "pending_cents": 5,
        "approved_cents": 5,
        "paid_cents": 0,
        "rejected_count": 0,
    }


# --- pages -------------------------------------------------------------------------------------


@pytest.fixture
def logged_in(client, requester):
    client.force_login(requester)
    return client


def test_the_funds_page_shows_balances_escrow_and_history(logged_in, live_project):
    page = logged_in.get(reverse("payments:funds")).content.decode()

    assert "$99.28" in page  # available after reserving 72 cents
    assert "$0.72" in page
    assert live_project.title in page
    assert "Bank transfer W" in page


def test_bulk_approval_from_the_review_page(logged_in, live_project, answer):
    answers = [answer(live_project) for _ in range(2)]

    response = logged_in.post(
        reverse("marketplace:review_queue", args=[live_project.pk]),
        {"assignment_ids": [a.pk for a in answers], "action": "approve"},
        follow=True,
    )

    assert "Approved 2." in response.content.decode()
    assert "Nothing to review." in response.content.decode()
    assert set(Assignment.objects.values_list("review_status", flat=True)) == {"approved"}


def test_rejecting_one_answer_from_the_page_needs_and_keeps_the_reason(
    logged_in, live_project, answer
):
    assignment = answer(live_project)
    url = reverse("marketplace:assignment_reject", args=[assignment.pk])

    refused = logged_in.post(url, {"reason": ""}, follow=True).content.decode()
    logged_in.post(url, {"reason": "Labels do not match the text"})

    assert "needs a reason" in refused
    assignment.refresh_from_db()
    assert assignment.review_status == ReviewStatus.REJECTED
    assert assignment.rejection_reason == "Labels do not match the text"


def test_another_organisations_review_page_is_not_found(client, other_requester, live_project):
    client.force_login(other_requester)
    assert (
        client.get(reverse("marketplace:review_queue", args=[live_project.pk])).status_code == 404
    )
