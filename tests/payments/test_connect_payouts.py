"""Stripe Connect payouts against the loopback fake: onboarding, one transfer per payout whatever
repeats or fails, definitive refusals give the money back, stuck payouts are swept."""

import hashlib
import hmac
import json
import time

import pytest
import requests
from django.urls import reverse

from accounts.models import Role
from payments import ledger
from payments.models import (
    LedgerTransaction,
    Payout,
    PayoutAccount,
    PayoutMethod,
    PayoutStatus,
    TransactionKind,
)
from payments.services.connect import payout_account_onboarding_link
from payments.services.payouts import (
    PayoutError,
    payout_approve,
    payout_cancel,
    payout_hold,
    payout_mark_paid,
    payout_request,
    payouts_automatic_request,
)
from payments.services.transfers import payout_transfer_send, payouts_sweep
from workers.models import Notification

CONNECT_WEBHOOK_SECRET = "whsec_connect_test"


def fund(worker, cents: int) -> None:
    """The worker earned ``cents`` (how is not this file's story: a bonus from the bank)."""
    ledger.transfer(
        source=ledger.external_bank_account(),
        destination=ledger.worker_payable_account(worker),
        amount_cents=cents,
        kind=TransactionKind.BONUS,
        memo="test earnings",
    )


def connect_worker(worker, fake) -> PayoutAccount:
    url = payout_account_onboarding_link(
        worker=worker, return_url="http://app/back", refresh_url="http://app/again"
    )
    requests.get(url, allow_redirects=False, timeout=5)  # finishing Stripe's onboarding
    account = PayoutAccount.objects.get(worker=worker)
    account.payouts_enabled = True
    account.save()
    return account


@pytest.fixture
def connected(make_user, connect_fake):
    worker = make_user(Role.WORKER)
    fund(worker, 2_000)
    connect_worker(worker, connect_fake)
    return worker


def _payable(worker) -> int:
    return ledger.worker_payable_account(worker).balance_cents


def _approve(payout, staff, capture):
    with capture(execute=True):
        payout_approve(payout_id=payout.pk, staff=staff)
    payout.refresh_from_db()
    return payout


@pytest.mark.django_db
def test_a_worker_connects_a_payout_account_from_the_earnings_page(client, worker, connect_fake):
    client.force_login(worker)
    assert "Connect payout account" in client.get(reverse("workers:earnings")).content.decode()

    to_stripe = client.post(reverse("payments:payout_account_connect"))
    assert to_stripe.status_code == 302 and to_stripe.url.startswith(connect_fake.url)
    back = requests.get(to_stripe.url, allow_redirects=False, timeout=5)
    assert back.headers["Location"].endswith(reverse("payments:payout_account_return"))
    page = client.get(reverse("payments:payout_account_return"), follow=True).content.decode()

    assert "Your Stripe payout account is connected." in page
    assert PayoutAccount.objects.get(worker=worker).payouts_enabled is True
    assert 'value="stripe" selected' in page


@pytest.mark.django_db
def test_the_api_gives_an_onboarding_link_and_the_refreshed_status(
    api_client, worker, connect_fake
):
    api_client.force_authenticate(worker)
    assert api_client.get("/api/v1/payout-account/").json()["status"] == "none"

    link = api_client.post("/api/v1/payout-account/onboarding-link/", {}, format="json")
    assert link.status_code == 201
    account = PayoutAccount.objects.get(worker=worker)
    connect_fake.account(account.provider_account_id, payouts_enabled=True, details_submitted=True)
    refreshed = api_client.post("/api/v1/payout-account/refresh/").json()

    assert refreshed["status"] == "enabled"
    assert refreshed["default_method"] == "stripe"
    # A second link reuses the same Stripe account.
    api_client.post("/api/v1/payout-account/onboarding-link/", {}, format="json")
    assert PayoutAccount.objects.filter(worker=worker).count() == 1


@pytest.mark.django_db
def test_the_account_updated_webhook_mirrors_stripe(client, worker, connect_fake, settings):
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = CONNECT_WEBHOOK_SECRET
    payout_account_onboarding_link(worker=worker, return_url="http://a/", refresh_url="http://b/")
    account = PayoutAccount.objects.get(worker=worker)
    connect_fake.account(account.provider_account_id, payouts_enabled=True)
    # The event's snapshot says "disabled": the handler trusts Stripe's current state instead.
    event = {
        "id": "evt_account_1",
        "type": "account.updated",
        "data": {"object": {"id": account.provider_account_id, "payouts_enabled": False}},
    }
    payload = json.dumps(event).encode()
    stamp = int(time.time())
    signature = hmac.new(
        CONNECT_WEBHOOK_SECRET.encode(), f"{stamp}.".encode() + payload, hashlib.sha256
    ).hexdigest()

    response = client.post(
        reverse("payments:stripe_webhook"),
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=f"t={stamp},v1={signature}",
    )

    assert response.status_code == 200
    assert PayoutAccount.objects.get(worker=worker).payouts_enabled is True


@pytest.mark.django_db
def test_an_approved_stripe_payout_is_sent_as_one_transfer_and_paid_once(
    connected, staff_user, connect_fake, django_capture_on_commit_callbacks
):
    payout = payout_request(worker=connected, amount_cents=1_200)
    assert payout.method == PayoutMethod.STRIPE
    assert _payable(connected) == 800

    payout = _approve(payout, staff_user, django_capture_on_commit_callbacks)
    assert payout_transfer_send(payout_id=payout.pk) == "skipped"  # a repeated task

    assert payout.status == PayoutStatus.PAID
    [transfer] = connect_fake.transfers()
    assert (transfer["id"], transfer["amount"], transfer["idempotency_key"]) == (
        payout.reference,
        1_200,
        f"quorum-payout-{payout.pk}",
    )
    assert transfer["metadata"]["payout_id"] == str(payout.pk)
    assert ledger.payouts_in_flight_account().balance_cents == 0
    assert LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT_PAID).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("mode", "count"), [("500", 2), ("429", 3), ("timeout", 1)])
def test_provider_hiccups_are_retried_under_the_same_key(
    connected, staff_user, connect_fake, django_capture_on_commit_callbacks, mode, count
):
    payout = payout_request(worker=connected, amount_cents=700)
    connect_fake.fail(mode=mode, count=count, delay=2)  # the client gives up after 1 s

    payout = _approve(payout, staff_user, django_capture_on_commit_callbacks)

    assert payout.status == PayoutStatus.PAID
    assert payout.transfer_attempts == count + 1
    assert [t["id"] for t in connect_fake.transfers()] == [payout.reference]
    assert LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT_PAID).count() == 1


@pytest.mark.django_db
def test_a_refused_transfer_fails_the_payout_and_returns_the_money_once(
    connected, staff_user, connect_fake, django_capture_on_commit_callbacks
):
    payout = payout_request(worker=connected, amount_cents=1_500)
    connect_fake.account(payout.destination_account_id, payouts_enabled=False)

    payout = _approve(payout, staff_user, django_capture_on_commit_callbacks)
    payout_transfer_send(payout_id=payout.pk)

    assert payout.status == PayoutStatus.FAILED
    assert "capabilities" in payout.last_error
    assert _payable(connected) == 2_000
    assert ledger.payouts_in_flight_account().balance_cents == 0
    assert LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT_FAILED).count() == 1
    assert connect_fake.transfers() == []
    assert "could not be sent" in Notification.objects.get(worker=connected).text


@pytest.mark.django_db
def test_a_payout_whose_task_was_lost_is_found_by_the_sweeper(
    connected, staff_user, connect_fake, django_capture_on_commit_callbacks
):
    payout = payout_request(worker=connected, amount_cents=900)
    with django_capture_on_commit_callbacks(execute=False):  # the process died before enqueue
        payout_approve(payout_id=payout.pk, staff=staff_user)
    payout.refresh_from_db()
    assert payout.idempotency_key == f"quorum-payout-{payout.pk}"  # stored before any call

    assert payouts_sweep(stale_after_seconds=3600) == 0  # not stale yet
    assert payouts_sweep(stale_after_seconds=0) == 1
    assert payouts_sweep(stale_after_seconds=0) == 0

    payout.refresh_from_db()
    assert payout.status == PayoutStatus.PAID
    assert len(connect_fake.transfers()) == 1


@pytest.mark.django_db
def test_staff_cannot_hold_cancel_or_hand_mark_a_stripe_payout_being_sent(
    connected, staff_user, connect_fake, django_capture_on_commit_callbacks
):
    payout = payout_request(worker=connected, amount_cents=600)
    connect_fake.fail(mode="500", count=100)  # stays approved, retrying
    _approve(payout, staff_user, django_capture_on_commit_callbacks)

    for refused in (payout_hold, payout_cancel):
        with pytest.raises(PayoutError, match="being transferred"):
            refused(payout_id=payout.pk, staff=staff_user)
    with pytest.raises(PayoutError, match="marked paid by its transfer"):
        payout_mark_paid(payout_id=payout.pk, staff=staff_user, reference="R")
    payout.refresh_from_db()
    assert payout.status == PayoutStatus.APPROVED
    assert "injected" in payout.last_error


@pytest.mark.django_db
def test_stripe_needs_a_connected_account_and_manual_stays_available(
    api_client, worker, connect_fake
):
    fund(worker, 1_000)
    api_client.force_authenticate(worker)

    refused = api_client.post(
        "/api/v1/payouts/", {"amount_cents": 500, "method": "stripe"}, format="json"
    )
    manual = api_client.post("/api/v1/payouts/", {"amount_cents": 500}, format="json")

    assert refused.status_code == 400
    assert "Connect a Stripe payout account" in refused.json()["error"]["message"]
    assert manual.status_code == 201 and manual.json()["method"] == "manual"


@pytest.mark.django_db
def test_the_bank_batch_export_leaves_out_stripe_payouts(
    api_client, connected, staff_user, connect_fake, django_capture_on_commit_callbacks, make_user
):
    banked = make_user(Role.WORKER)
    fund(banked, 1_000)
    manual = payout_request(worker=banked, amount_cents=500)
    payout_approve(payout_id=manual.pk, staff=staff_user)
    connect_fake.fail(mode="500", count=100)
    _approve(
        payout_request(worker=connected, amount_cents=500),
        staff_user,
        django_capture_on_commit_callbacks,
    )
    api_client.force_authenticate(staff_user)

    rows = api_client.get("/api/v1/staff/payouts/export/").content.decode().splitlines()

    assert len(rows) == 2 and rows[1].startswith(f"{manual.pk},")


@pytest.mark.django_db
def test_automatic_payouts_pay_connected_balances_only_when_switched_on(
    connected, make_user, connect_fake, settings, django_capture_on_commit_callbacks
):
    small = make_user(Role.WORKER)
    fund(small, 300)  # below the minimum
    connect_worker(small, connect_fake)

    assert payouts_automatic_request() == {"requested": 0, "refused": 0}
    settings.PAYOUTS_AUTOMATIC = True
    with django_capture_on_commit_callbacks(execute=True):
        assert payouts_automatic_request() == {"requested": 1, "refused": 0}

    payout = Payout.objects.get()
    assert (payout.worker, payout.amount_cents, payout.status) == (connected, 2_000, "paid")
    assert _payable(connected) == 0 and _payable(small) == 300


@pytest.mark.django_db
def test_a_get_cannot_start_onboarding_and_an_expired_link_asks_before_acting(
    client, worker, connect_fake
):
    """A link or an image on another site must not create the worker's Connect account."""
    client.force_login(worker)
    assert client.get(reverse("payments:payout_account_connect")).status_code == 405
    page = client.get(reverse("payments:payout_account_relink"))
    assert page.status_code == 200
    assert 'method="post"' in page.content.decode()
    assert not PayoutAccount.objects.filter(worker=worker).exists()
    to_stripe = client.post(reverse("payments:payout_account_connect"))
    assert to_stripe.status_code == 302 and to_stripe.url.startswith(connect_fake.url)
