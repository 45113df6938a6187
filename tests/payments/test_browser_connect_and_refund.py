"""In the browser, against the Connect fake and localstripe: a worker connects a Stripe payout
account through the (fake) hosted onboarding and asks for a payout; staff approve it and the
transfer job pays it; a requester refunds unspent card funds; staff check reconciliation and find
nothing to fix. Screenshots go to test-artifacts/."""

import pytest
from playwright.sync_api import Page, expect

from payments import ledger
from payments.models import CardRefund, CardRefundStatus, Payout, PayoutStatus, TransactionKind
from payments.services.funds import card_payment_start, card_payment_succeeded

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _log_in(page: Page, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()


def test_connect_payout_refund_and_reconciliation_journey(
    page: Page,
    live_server,
    requester,
    worker,
    staff_user,
    password,
    stripe_settings,
    connect_fake,
    artifacts_dir,
):
    # A worker with $12.00 approved earnings; a requester who paid $40.00 by card.
    ledger.transfer(
        source=ledger.external_bank_account(),
        destination=ledger.worker_payable_account(worker),
        amount_cents=1_200,
        kind=TransactionKind.BONUS,
    )
    payment = card_payment_start(
        user=requester, amount_cents=4_000, payment_method="pm_card_visa", request_key="card-1"
    )
    card_payment_succeeded(payment_intent_id=payment.payment_intent_id)  # the webhook's work

    _log_in(page, live_server.url, worker.email, password)
    page.get_by_role("link", name="Earnings").click()
    expect(page.get_by_test_id("approved")).to_have_text("$12.00")
    page.get_by_role("button", name="Connect payout account").click()
    # The fake's hosted onboarding finishes at once and sends the browser back to Quorum.
    expect(page.get_by_text("Your Stripe payout account is connected.")).to_be_visible()
    expect(page.get_by_test_id("payout-account")).to_contain_text("is connected")
    expect(page.get_by_label("Paid by")).to_have_value("stripe")
    page.get_by_label("Amount (USD)").fill("10.00")
    page.get_by_role("button", name="Request payout").click()
    expect(page.get_by_text("Payout of $10.00 requested.")).to_be_visible()
    expect(page.get_by_test_id("payouts")).to_contain_text("Stripe Connect transfer")
    page.get_by_role("button", name="Log out").click()

    _log_in(page, live_server.url, staff_user.email, password)
    page.get_by_role("link", name="Payouts").click()
    payout = Payout.objects.get()
    page.get_by_test_id(f"payout-{payout.pk}").get_by_role("button", name="Approve").click()
    # Approval queues the transfer on commit; Celery is eager here, so it has run.
    expect(page.get_by_text(f"Payout {payout.pk}: Approved")).to_be_visible()
    expect(page.get_by_text("No payouts here.")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    payout.refresh_from_db()
    transfers = connect_fake.transfers()
    assert payout.status == PayoutStatus.PAID
    assert [(t["id"], t["amount"]) for t in transfers] == [(payout.reference, 1_000)]

    _log_in(page, live_server.url, worker.email, password)
    page.get_by_role("link", name="Earnings").click()
    expect(page.get_by_test_id("paid")).to_have_text("$10.00")
    expect(page.get_by_test_id("approved")).to_have_text("$2.00")
    expect(page.get_by_test_id("payouts")).to_contain_text("Paid")
    expect(page.get_by_test_id("payouts")).to_contain_text(payout.reference)
    page.screenshot(path=artifacts_dir / "payments-worker-connect-paid.png", full_page=True)
    page.get_by_role("button", name="Log out").click()

    _log_in(page, live_server.url, requester.email, password)
    page.get_by_role("link", name="Funds").click()
    page.get_by_test_id("refund-form").get_by_label("Amount (USD)").fill("15.00")
    page.get_by_role("button", name="Refund to card").click()
    expect(page.get_by_text("$15.00 refunded to your card.")).to_be_visible()
    expect(page.get_by_test_id("refunds")).to_contain_text("Refunded")
    expect(page.get_by_test_id("refunds")).to_contain_text(payment.payment_intent_id)
    page.screenshot(path=artifacts_dir / "payments-requester-refund.png", full_page=True)
    page.get_by_role("button", name="Log out").click()
    refund = CardRefund.objects.get()
    assert (refund.status, refund.amount_cents) == (CardRefundStatus.SUCCEEDED, 1_500)

    _log_in(page, live_server.url, staff_user.email, password)
    page.goto(f"{live_server.url}/payments/reconciliation/")
    page.get_by_test_id("reconcile-now").click()
    expect(page.get_by_text("0 open difference(s), 0 resolved.")).to_be_visible()
    expect(page.get_by_test_id("no-issues")).to_be_visible()
    page.screenshot(path=artifacts_dir / "payments-staff-reconciliation.png", full_page=True)
