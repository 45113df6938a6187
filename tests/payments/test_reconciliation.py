"""Reconciliation compares the ledger with Stripe (the Connect fake and localstripe): a clean
state flags nothing; planted differences are flagged once, and resolved when they go away."""

import pytest
import requests
from django.urls import reverse

from accounts.models import Role
from payments import ledger, stripe_client
from payments.models import PayoutAccount, PayoutStatus, ReconciliationIssue, TransactionKind
from payments.services import (
    card_payment_start,
    card_payment_succeeded,
    payout_approve,
    payout_request,
)
from payments.services.reconciliation import reconciliation_run
from payments.services.refunds import funds_refund


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
