"""In the browser: a requester reviews answers and sees the money move; the worker sees the
earnings and asks for a payout; staff pay it. Screenshots go to test-artifacts/."""

import pytest
from playwright.sync_api import Page, expect

from marketplace.services.projects import project_publish
from payments.models import Payout, PayoutStatus
from payments.services.funds import funds_deposit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _log_in(page: Page, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()


def test_review_pay_and_payout_journey(
    page: Page, live_server, requester, worker, staff_user, password, draft, answer, artifacts_dir
):
    funds_deposit(requester_account=requester.requester_account, amount_cents=5_000, reference="W")
    project = project_publish(
        project=draft(tasks=4, reward_cents=300, overlap_min=1, overlap_max=1)
    )
    answers = [answer(project, worker=worker) for _ in range(3)]

    _log_in(page, live_server.url, requester.email, password)
    page.get_by_role("link", name="Funds").click()
    expect(page.get_by_test_id("escrow")).to_have_text("$14.40")  # 4 x $3.00 + 20 %
    page.goto(f"{live_server.url}/requester/projects/{project.pk}/reviews/")
    page.get_by_role("checkbox", name=f"Select answer {answers[0].pk}").check()
    page.get_by_role("checkbox", name=f"Select answer {answers[1].pk}").check()
    page.get_by_test_id("bulk-approve").click()
    expect(page.get_by_text("Approved 2.")).to_be_visible()
    page.get_by_label("Reason for rejecting").fill("The label does not match the text")
    page.get_by_test_id(f"reject-{answers[2].pk}").click()
    expect(page.get_by_test_id("nothing-to-review")).to_be_visible()
    page.get_by_role("link", name="Funds").click()
    expect(page.get_by_test_id("ledger-history")).to_contain_text("Approved answer")
    page.screenshot(path=artifacts_dir / "payments-requester-funds.png", full_page=True)
    page.get_by_role("button", name="Log out").click()

    _log_in(page, live_server.url, worker.email, password)
    page.get_by_role("link", name="Earnings").click()
    expect(page.get_by_test_id("approved")).to_have_text("$6.00")
    expect(page.get_by_test_id("rejections")).to_contain_text("does not match")
    page.get_by_label("Amount (USD)").fill("5.50")
    page.get_by_role("button", name="Request payout").click()
    expect(page.get_by_test_id("payouts")).to_contain_text("$5.50")
    page.screenshot(path=artifacts_dir / "payments-worker-earnings.png", full_page=True)
    page.get_by_role("button", name="Log out").click()

    _log_in(page, live_server.url, staff_user.email, password)
    page.get_by_role("link", name="Payouts").click()
    payout = Payout.objects.get()
    page.get_by_test_id(f"payout-{payout.pk}").get_by_role("button", name="Approve").click()
    page.get_by_label(f"Bank reference for payout {payout.pk}").fill("BANK-001")
    page.get_by_test_id(f"mark-paid-{payout.pk}").click()
    expect(page.get_by_text("No payouts here.")).to_be_visible()
    page.screenshot(path=artifacts_dir / "payments-staff-payouts.png", full_page=True)
    payout.refresh_from_db()
    assert (payout.status, payout.reference) == (PayoutStatus.PAID, "BANK-001")
