"""Reconciliation compares the ledger with Stripe (the Connect fake and localstripe): a clean
state flags nothing; planted differences are flagged once, and resolved when they go away."""

from datetime import timedelta

import pytest
import requests
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from payments import ledger, stripe_client
from payments.models import (
    CardPayment,
    Payout,
    PayoutAccount,
    PayoutStatus,
    ReconciliationIssue,
    TransactionKind,
)
from payments.services.funds import card_payment_start, card_payment_succeeded
from payments.services.payouts import payout_approve, payout_request
from payments.services.reconciliation import reconciliation_run
from payments.services.refunds import funds_refund
from payments.services.transfers import payout_transfer_send


@pytest.fixture
def both_stripes(stripe_settings, connect_fake):
    return connect_fake


@pytest.fixture
def books(requester, make_user, staff_user, both_stripes, django_capture_on_commit_callbacks):
    """A card payment, a refund, a paid Stripe payout and a requested manual one."""
    payment = card_payment_start(
        user=requester, amount_cents=3_000, payment_method="pm_card_visa", request_key="k"
    )
    card_payment_succeeded(payment_intent_id=payment.payment_intent_id)
    funds_refund(user=requester, amount_cents=1_000, request_key="r")
    worker = make_user(Role.WORKER)
    ledger.transfer(
        source=ledger.external_bank_account(),
        destination=ledger.worker_payable_account(worker),
        amount_cents=2_000,
        kind=TransactionKind.BONUS,
    )
    account = stripe_client.connect_account_create(email="w@x", metadata={}, idempotency_key="w")
    both_stripes.account(account.id, payouts_enabled=True)
    PayoutAccount.objects.create(
        worker=worker, provider_account_id=account.id, payouts_enabled=True
    )
    paid = payout_request(worker=worker, amount_cents=1_200)
    with django_capture_on_commit_callbacks(execute=True):
        payout_approve(payout_id=paid.pk, staff=staff_user)
    payout_request(worker=worker, amount_cents=500, method="manual")
    paid.refresh_from_db()
    assert paid.status == PayoutStatus.PAID
    return {"payment": payment, "payout": paid, "account": account.id}


@pytest.mark.django_db
def test_a_clean_ledger_flags_nothing(books):
    assert reconciliation_run() == {"open": 0, "resolved": 0}
    assert not ReconciliationIssue.objects.exists()


@pytest.mark.django_db
def test_planted_differences_are_flagged_once_and_resolved_when_gone(
    books, both_stripes, localstripe_url
):
    # A transfer nobody here asked for, and a refund made in Stripe's dashboard.
    stray = stripe_client.transfer_create(
        amount_cents=999, destination=books["account"], metadata={}, idempotency_key="stray"
    )
    requests.post(
        f"{localstripe_url}/v1/refunds",
        data={"payment_intent": books["payment"].payment_intent_id, "amount": 300},
        headers={"Authorization": "Bearer sk_test_quorum"},
        timeout=5,
    )

    assert reconciliation_run()["open"] == 2
    assert reconciliation_run()["open"] == 2  # seen again: updated, not duplicated

    issues = {issue.kind: issue for issue in ReconciliationIssue.objects.all()}
    assert set(issues) == {"transfer_without_payout", "refund_not_in_ledger"}
    assert issues["transfer_without_payout"].reference == f"transfer:{stray.id}"
    assert issues["transfer_without_payout"].provider_cents == 999
    assert issues["refund_not_in_ledger"].provider_cents == 300

    requests.delete(f"{both_stripes.url}/_fake/data", timeout=5)  # Stripe "forgets" both
    counts = reconciliation_run()
    # Now the paid payout has no transfer at all: that is flagged instead.
    assert counts["resolved"] == 1
    assert (
        ReconciliationIssue.objects.get(
            kind="paid_without_transfer", resolved_at__isnull=True
        ).reference
        == f"payout:{books['payout'].pk}"
    )


@pytest.mark.django_db
def test_staff_see_differences_on_a_page_and_through_the_api(
    client, api_client, staff_user, books, both_stripes
):
    stripe_client.transfer_create(
        amount_cents=50, destination=books["account"], metadata={}, idempotency_key="stray"
    )
    client.force_login(staff_user)
    api_client.force_authenticate(staff_user)

    assert "No open differences" in client.get(reverse("payments:reconciliation")).content.decode()
    page = client.post(reverse("payments:reconciliation"), follow=True).content.decode()
    listed = api_client.get("/api/v1/staff/reconciliation/").json()
    rerun = api_client.post("/api/v1/staff/reconciliation/run/").json()

    assert "transfer_without_payout" in page
    assert [issue["kind"] for issue in listed["results"]] == ["transfer_without_payout"]
    assert rerun == {"open": 1, "resolved": 0}


def _backdate_transfer(fake, transfer_id: str, moment) -> None:
    response = requests.post(
        f"{fake.url}/_fake/transfers/{transfer_id}",
        json={"created": int(moment.timestamp())},
        timeout=5,
    )
    response.raise_for_status()


def _connected_worker(make_user, fake, *, balance_cents: int):
    worker = make_user(Role.WORKER)
    ledger.transfer(
        source=ledger.external_bank_account(),
        destination=ledger.worker_payable_account(worker),
        amount_cents=balance_cents,
        kind=TransactionKind.BONUS,
    )
    account = stripe_client.connect_account_create(
        email=worker.email, metadata={}, idempotency_key=f"acct-{worker.pk}"
    )
    fake.account(account.id, payouts_enabled=True)
    PayoutAccount.objects.create(
        worker=worker, provider_account_id=account.id, payouts_enabled=True
    )
    return worker, account.id


@pytest.mark.django_db
def test_each_run_compares_the_window_plus_what_is_still_open(
    books, make_user, staff_user, requester, both_stripes, localstripe_url, settings
):
    """Sixty days ago: a stray transfer and a card payment that Stripe's dashboard refunded in
    part (both outside the 35-day window, so no longer compared); a payout approved then whose
    transfer went out only today (still open: compared whatever its age); and a payout approved
    then whose transfer Stripe made then but whose answer was lost, recorded paid today (its
    transfer is found although older than the window)."""
    assert settings.RECONCILIATION_WINDOW_DAYS == 35  # the default
    long_ago = timezone.now() - timedelta(days=60)
    old_stray = stripe_client.transfer_create(
        amount_cents=444, destination=books["account"], metadata={}, idempotency_key="old"
    )
    _backdate_transfer(both_stripes, old_stray.id, long_ago)
    old_payment = card_payment_start(
        user=requester, amount_cents=2_000, payment_method="pm_card_visa", request_key="old"
    )
    card_payment_succeeded(payment_intent_id=old_payment.payment_intent_id)
    CardPayment.objects.filter(pk=old_payment.pk).update(created_at=long_ago, credited_at=long_ago)
    requests.post(
        f"{localstripe_url}/v1/refunds",
        data={"payment_intent": old_payment.payment_intent_id, "amount": 300},
        headers={"Authorization": "Bearer sk_test_quorum"},
        timeout=5,
    )

    worker, account_id = _connected_worker(make_user, both_stripes, balance_cents=5_000)
    stuck = payout_approve(
        payout_id=payout_request(worker=worker, amount_cents=1_000).pk, staff=staff_user
    )
    late = payout_approve(
        payout_id=payout_request(worker=worker, amount_cents=1_500).pk, staff=staff_user
    )
    Payout.objects.filter(pk__in=[stuck.pk, late.pk]).update(
        requested_at=long_ago, approved_at=long_ago
    )
    stripe_client.transfer_create(  # today, answer lost: the payout is still approved here
        amount_cents=1_000,
        destination=account_id,
        metadata={"payout_id": str(stuck.pk), "worker_id": str(worker.pk)},
        idempotency_key=stuck.idempotency_key,
    )
    first = stripe_client.transfer_create(  # sixty days ago, answer lost
        amount_cents=1_500,
        destination=account_id,
        metadata={"payout_id": str(late.pk), "worker_id": str(worker.pk)},
        idempotency_key=late.idempotency_key,
    )
    _backdate_transfer(both_stripes, first.id, long_ago)
    assert payout_transfer_send(payout_id=late.pk) == "paid"  # the key finds the first one

    assert reconciliation_run() == {"open": 0, "resolved": 0}

    # With a 90-day window the old differences are found ...
    settings.RECONCILIATION_WINDOW_DAYS = 90
    assert reconciliation_run()["open"] == 2
    found = {issue.kind: issue.reference for issue in ReconciliationIssue.objects.all()}
    assert found == {
        "transfer_without_payout": f"transfer:{old_stray.id}",
        "refund_not_in_ledger": found["refund_not_in_ledger"],
    }
    # ... and stay open when the window shrinks again: their objects are judged again, not
    # forgotten because they are old.
    settings.RECONCILIATION_WINDOW_DAYS = 35
    assert reconciliation_run() == {"open": 2, "resolved": 0}
    assert ReconciliationIssue.objects.filter(resolved_at__isnull=True).count() == 2


@pytest.mark.django_db
def test_a_payment_stripe_does_not_know_is_flagged_and_the_others_still_compared(books, requester):
    CardPayment.objects.create(
        requester_account=requester.requester_account,
        payment_intent_id="pi_nowhere_to_be_found",
        amount_cents=700,
        status="succeeded",
        credited_at=timezone.now(),
    )
    assert reconciliation_run()["open"] >= 1
    issues = {issue.reference: issue for issue in ReconciliationIssue.objects.all()}
    missing = issues["card_payment:pi_nowhere_to_be_found"]
    assert missing.kind == "card_payment_mismatch" and "no such" in missing.detail
    # The real payment of the books was still compared, and agrees.
    assert f"card_payment:{books['payment'].payment_intent_id}" not in issues
