"""Suspended or deactivated workers are not paid out (issue 12, finding 5; docs/security.md
"Suspended workers: no payouts, no tokens"): not on request (page and API), not by the automatic
payout job, not by staff approval, and a Stripe payout approved before the suspension is held
instead of sent. The money stays in the worker's balance."""

import csv
import io

import pytest
from django.urls import reverse

from accounts.models import Role
from payments import ledger
from payments.models import Payout, PayoutMethod, PayoutStatus
from payments.services.payouts import (
    PayoutError,
    payout_approve,
    payout_request,
    payouts_automatic_request,
    payouts_export_csv,
)
from payments.services.transfers import payout_transfer_send
from tests.payments.test_connect_payouts import connect_worker, fund
from workers.services.moderation import worker_suspend, worker_unsuspend

pytestmark = pytest.mark.django_db


def _payable(worker) -> int:
    return ledger.worker_payable_account(worker).balance_cents


@pytest.fixture
def suspended(make_user, staff_user):
    worker = make_user(Role.WORKER)
    fund(worker, 2_000)
    worker_suspend(actor=staff_user, worker=worker, reason="Copied answers")
    return worker


def test_a_suspended_worker_cannot_request_a_payout_by_api_or_page(suspended, api_client, client):
    api_client.force_authenticate(suspended)  # a browser session still reaches the API
    refused = api_client.post("/api/v1/payouts/", {"amount_cents": 1_000}, format="json")

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "payouts_held"
    assert "suspended" in refused.json()["error"]["message"]

    client.force_login(suspended)
    page = client.post(reverse("payments:payout_new"), {"amount": "10.00"}, follow=True)
    assert "Payouts are on hold" in page.content.decode()
    assert "suspended" in page.content.decode()

    assert not Payout.objects.exists()
    assert _payable(suspended) == 2_000


def test_a_lifted_suspension_lets_the_worker_request_again(suspended, staff_user):
    worker_unsuspend(actor=staff_user, worker=suspended, reason="Appeal upheld")
    assert payout_request(worker=suspended, amount_cents=1_000).status == PayoutStatus.REQUESTED


def test_a_deactivated_worker_cannot_request_a_payout(make_user):
    worker = make_user(Role.WORKER)
    fund(worker, 2_000)
    worker.is_active = False
    worker.save()

    with pytest.raises(PayoutError, match="deactivated") as refused:
        payout_request(worker=worker, amount_cents=1_000)
    assert refused.value.code == "payouts_held"


def test_staff_cannot_approve_the_payout_of_a_worker_suspended_after_requesting(
    make_user, staff_user
):
    worker = make_user(Role.WORKER)
    fund(worker, 2_000)
    payout = payout_request(worker=worker, amount_cents=1_000, method=PayoutMethod.MANUAL)
    worker_suspend(actor=staff_user, worker=worker, reason="Fraud review")

    with pytest.raises(PayoutError, match="suspended"):
        payout_approve(payout_id=payout.pk, staff=staff_user)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.REQUESTED


def test_the_automatic_payout_job_skips_suspended_and_deactivated_workers(
    suspended, make_user, connect_fake, settings, django_capture_on_commit_callbacks
):
    settings.PAYOUTS_AUTOMATIC = True
    connect_worker(suspended, connect_fake)
    deactivated = make_user(Role.WORKER)
    fund(deactivated, 3_000)
    connect_worker(deactivated, connect_fake)
    deactivated.is_active = False
    deactivated.save()
    healthy = make_user(Role.WORKER)
    fund(healthy, 1_000)
    connect_worker(healthy, connect_fake)

    with django_capture_on_commit_callbacks(execute=True):
        counts = payouts_automatic_request()

    assert counts == {"requested": 1, "refused": 2}
    assert [(p.worker, p.status) for p in Payout.objects.all()] == [(healthy, "paid")]
    assert [t["amount"] for t in connect_fake.transfers()] == [1_000]
    assert (_payable(suspended), _payable(deactivated)) == (2_000, 3_000)


def test_an_approved_stripe_payout_is_held_not_sent_when_the_worker_is_suspended_meanwhile(
    make_user, staff_user, connect_fake, django_capture_on_commit_callbacks
):
    worker = make_user(Role.WORKER)
    fund(worker, 2_000)
    connect_worker(worker, connect_fake)
    payout = payout_request(worker=worker, amount_cents=1_500)
    with django_capture_on_commit_callbacks(execute=False):  # the transfer task is still queued
        payout_approve(payout_id=payout.pk, staff=staff_user)
    worker_suspend(actor=staff_user, worker=worker, reason="Fraud review")

    assert payout_transfer_send(payout_id=payout.pk) == "held"

    payout.refresh_from_db()
    assert (payout.status, payout.transfer_attempts) == (PayoutStatus.HELD, 0)
    assert "suspended" in payout.note
    assert connect_fake.transfers() == []

    # Lifted: staff approve it again and it goes out, once.
    worker_unsuspend(actor=staff_user, worker=worker, reason="Cleared")
    with django_capture_on_commit_callbacks(execute=True):
        payout_approve(payout_id=payout.pk, staff=staff_user)
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    assert [t["amount"] for t in connect_fake.transfers()] == [1_500]


def test_the_bank_batch_neutralises_a_worker_name_that_is_a_formula(make_user, staff_user, client):
    """CSV formula injection (finding 4): the name a worker chose reaches the finance team's
    spreadsheet as text."""
    worker = make_user(Role.WORKER)
    worker.full_name = "@SUM(1+1)*cmd|' /C calc'!A0"
    worker.save()
    fund(worker, 2_000)
    payout = payout_request(worker=worker, amount_cents=1_234, method=PayoutMethod.MANUAL)
    payout_approve(payout_id=payout.pk, staff=staff_user)

    client.force_login(staff_user)
    for exported in (
        payouts_export_csv(payouts=Payout.objects.select_related("worker")),
        client.get(reverse("payments:payout_queue") + "?format=csv").content.decode(),
    ):
        [row] = list(csv.DictReader(io.StringIO(exported)))
        assert row["worker_name"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
        assert (row["payout_id"], row["amount"]) == (str(payout.pk), "12.34")
