"""Browser journeys through the real pages, in Debian's chromium."""

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Role, User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_up(page: Page, base_url: str, *, email: str, role: str, organisation: str = ""):
    page.goto(f"{base_url}/")
    page.get_by_role("link", name="Sign up").first.click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Your name").fill("Test Person")
    page.locator(f"input[name=role][value={role}]").check()
    if organisation:
        page.get_by_label("Organisation").fill(organisation)
    page.locator("#id_password1").fill("a-long-enough-password-1")
    page.locator("#id_password2").fill("a-long-enough-password-1")
    page.get_by_role("button", name="Sign Up").click()


def test_a_worker_and_a_requester_sign_up_through_the_pages(page: Page, live_server, artifacts_dir):
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    sign_up(page, live_server.url, email="walker@example.com", role=Role.WORKER)
    expect(page.get_by_role("heading", name="Available work")).to_be_visible()
    expect(page.get_by_test_id("current-user")).to_contain_text("walker@example.com")
    page.screenshot(path=artifacts_dir / "signup-worker.png", full_page=True)
    page.get_by_role("button", name="Log out").click()

    sign_up(
        page, live_server.url, email="rachel@example.com", role=Role.REQUESTER, organisation="Lab Y"
    )
    expect(page.get_by_role("heading", name="Lab Y — projects")).to_be_visible()
    page.screenshot(path=artifacts_dir / "signup-requester.png", full_page=True)

    assert User.objects.get(email="walker@example.com").role == Role.WORKER
    assert User.objects.get(email="rachel@example.com").requester_account.name == "Lab Y"
