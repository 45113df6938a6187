"""Staff review the quality queue in the browser: a gold block is lifted and a fast-answer flag
is escalated to a project block, each with one click and without a page reload (htmx)."""

import pytest
from playwright.sync_api import Page, expect

from marketplace.models import ProjectBlock
from tests.marketplace.factories import ProjectFactory
from tests.workers.test_quality_review import flagged, gold_blocked
from workers.models import AuditLogEntry, QualityReview

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_staff_clear_the_quality_queue_with_one_click_per_row(
    page: Page, live_server, requester, staff_user, make_user, password, artifacts_dir
):
    project = ProjectFactory(account=requester.requester_account, title="Street signs")
    blocked, fast = make_user("worker"), make_user("worker")
    block = gold_blocked(blocked, project)
    flag = flagged(fast, project)

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(staff_user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    page.goto(f"{live_server.url}/staff/")
    page.get_by_role("link", name="Quality flags and blocks to review").click()
    expect(page.get_by_test_id("quality-action")).to_have_count(2)
    page.screenshot(path=artifacts_dir / "staff-quality-queue.png", full_page=True)
    page.evaluate("window.__same_page = true")  # gone if the browser loads a new page

    block_row = page.locator(f"#quality-action-{block.pk}")
    block_row.get_by_label("Reason").fill("The gold answer was wrong")
    block_row.get_by_role("button", name="Lift block").click()
    expect(
        page.locator(f"#quality-action-{block.pk}").get_by_test_id("review-state")
    ).to_contain_text("The gold answer was wrong")

    flag_row = page.locator(f"#quality-action-{flag.pk}")
    flag_row.get_by_label("Reason").fill("Too fast on every task")
    flag_row.get_by_role("button", name="Block from project").click()
    expect(
        page.locator(f"#quality-action-{flag.pk}").get_by_test_id("review-state")
    ).to_be_visible()
    assert page.evaluate("window.__same_page === true")
    page.screenshot(path=artifacts_dir / "staff-quality-reviewed.png", full_page=True)

    assert not ProjectBlock.objects.filter(project=project, worker=blocked).exists()
    assert ProjectBlock.objects.filter(project=project, worker=fast).exists()
    assert QualityReview.objects.count() == 2
    assert AuditLogEntry.objects.filter(action="quality_review", actor=staff_user).count() == 2
