"""Worker payouts by bank transfer: request, staff queue, CSV batch, mark paid; never more than
the worker's balance, even under concurrency."""

import csv
import io
import threading

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import Role
from marketplace.services.bonuses import bonus_grant
from marketplace.services.projects import project_publish
from marketplace.services.reviews import assignment_approve
from payments import ledger
from payments.models import LedgerEntry, Payout, PayoutStatus
from payments.services.funds import funds_deposit
from payments.services.payouts import (
    PayoutError,
    payout_approve,
    payout_cancel,
    payout_mark_paid,
    payout_request,
)


@pytest.fixture
def earner(requester, draft, answer, make_user):
    """A worker with $10.00 of approved earnings (one 5-cent answer plus a $9.95 bonus)."""
    funds_deposit(requester_account=requester.requester_account, amount_cents=5_000, reference="W")
    project = project_publish(project=draft(tasks=30, overlap_min=1, overlap_max=1))
    worker = make_user(Role.WORKER)
    assignment_approve(assignment_id=answer(project, worker=worker).pk)
    bonus_grant(
        granted_by=requester, worker=worker, amount_cents=995, message="Top", client_key="b"
    )
    worker.project = project
    return worker


def _payable(worker) -> int:
    return ledger.worker_payable_account(worker).balance_cents


@pytest.mark.django_db
def test_a_payout_goes_from_request_through_the_bank_batch_to_paid(earner, staff_user):
    payout = payout_request(worker=earner, amount_cents=600)
    # Requested money leaves the balance at once, so it cannot be requested twice.
    assert _payable(earner) == 400
    assert ledger.payouts_in_flight_account().balance_cents == 600

    payout_approve(payout_id=payout.pk, staff=staff_user)
    payout_mark_paid(payout_id=payout.pk, staff=staff_user, reference="BANK-2026-11-001")
    payout_mark_paid(payout_id=payout.pk, staff=staff_user, reference="BANK-2026-11-001")

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    assert ledger.payouts_in_flight_account().balance_cents == 0
    assert ledger.external_bank_account().balance_cents == -5_000 + 600
    assert LedgerEntry.objects.filter(transaction__kind="payout_paid").count() == 2


@pytest.mark.django_db
def test_cancelling_a_payout_returns_the_money_and_paid_ones_cannot_be_cancelled(
    earner, staff_user
):
    cancelled = payout_request(worker=earner, amount_cents=500)
    payout_cancel(payout_id=cancelled.pk, staff=staff_user, note="Wrong bank details")
    assert _payable(earner) == 1_000

    paid = payout_request(worker=earner, amount_cents=500)
    payout_approve(payout_id=paid.pk, staff=staff_user)
    payout_mark_paid(payout_id=paid.pk, staff=staff_user, reference="R")
    with pytest.raises(PayoutError, match="paid payout cannot be cancelled"):
        payout_cancel(payout_id=paid.pk, staff=staff_user)


@pytest.mark.django_db
def test_payouts_below_the_minimum_or_above_the_balance_are_refused(earner):
    with pytest.raises(PayoutError, match=r"minimum payout is \$5\.00"):
        payout_request(worker=earner, amount_cents=499)
    with pytest.raises(PayoutError, match=r"up to \$10\.00"):
        payout_request(worker=earner, amount_cents=1_001)
    assert not Payout.objects.exists()
    assert _payable(earner) == 1_000


@pytest.mark.django_db(transaction=True)
def test_fifty_parallel_approvals_and_payout_requests_never_double_spend(earner, answer, requester):
    """25 approvals add 5 cents each while 25 requests try to withdraw $5.00 each from a $10.00
    balance: two withdrawals fit whatever the order (1,000 cents are there from the start, and
    at most 1,125 ever are), the third never does."""
    pending = [answer(earner.project, worker=earner).pk for _ in range(25)]
    start = threading.Barrier(50)
    outcomes = []

    def approve(assignment_id):
        try:
            start.wait()
            assignment_approve(assignment_id=assignment_id)
            outcomes.append("approved")
        finally:
            connection.close()

    def withdraw():
        try:
            start.wait()
            payout_request(worker=earner, amount_cents=500)
            outcomes.append("paid out")
        except PayoutError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(pk,)) for pk in pending]
    threads += [threading.Thread(target=withdraw) for _ in range(25)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("approved") == 25
    assert outcomes.count("paid out") == 2
    assert _payable(earner) == 1_000 + 25 * 5 - 2 * 500
    assert Payout.objects.count() == 2
    assert sum(LedgerEntry.objects.values_list("amount_cents", flat=True)) == 0


@pytest.mark.django_db
def test_payout_pages_and_api(client, api_client, earner, staff_user):
    client.force_login(earner)
    client.post(reverse("payments:payout_new"), {"amount": "6.00"})
    api_client.force_authenticate(earner)
    refused = api_client.post("/api/v1/payouts/", {"amount_cents": 500}, format="json")
    assert refused.status_code == 400  # only $4.00 left
    assert refused.json()["error"]["code"] == "payout_refused"
    (payout,) = api_client.get("/api/v1/payouts/").json()

    client.force_login(staff_user)
    client.post(
        reverse("payments:payout_queue"), {"action": "bulk_approve", "payout_ids": [payout["id"]]}
    )
    exported = client.get(reverse("payments:payout_queue") + "?format=csv").content.decode()
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [(r["payout_id"], r["worker_email"], r["amount"]) for r in rows] == [
        (str(payout["id"]), earner.email, "6.00")
    ]

    api_client.force_authenticate(staff_user)
    paid = api_client.post(
        f"/api/v1/staff/payouts/{payout['id']}/paid/", {"reference": "BANK-77"}, format="json"
    )
    assert paid.json()["status"] == "paid"
    assert api_client.get("/api/v1/staff/payouts/").json()["results"] == []

    api_client.force_authenticate(earner)
    assert api_client.get("/api/v1/earnings/").json()["paid_cents"] == 600
    assert api_client.get("/api/v1/staff/payouts/").status_code == 403
