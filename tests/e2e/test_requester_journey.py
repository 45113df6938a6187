"""A requester builds a job in the browser: wizard with live preview, upload, publish."""

import pytest
from playwright.sync_api import Page, expect

from marketplace.models import Project, ProjectStatus
from payments.services.funds import funds_deposit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_requester_creates_uploads_and_publishes_a_project(
    page: Page, live_server, requester, password, artifacts_dir, tmp_path
):
    funds_deposit(
        requester_account=requester.requester_account, amount_cents=10_000, reference="e2e"
    )
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(requester.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("link", name="New project").click()

    page.get_by_label("Title", exact=True).fill("Bird or not")
    page.get_by_label("Labels", exact=True).fill(
        "bird | A bird is visible | 1\nno bird | No bird | 2"
    )
    page.get_by_role("textbox", name="Instructions").fill("Look for **any** bird.")
    preview = page.get_by_test_id("preview")
    expect(preview.locator("strong")).to_have_text("any")  # the live preview follows typing
    expect(preview.get_by_text("no bird")).to_be_visible()
    page.get_by_label("Reward per assignment (¢)").fill("10")
    expect(page.get_by_test_id("estimate")).to_contain_text("$")
    page.screenshot(path=artifacts_dir / "requester-wizard.png", full_page=True)
    page.get_by_role("button", name="Create draft project").click()

    expect(page.get_by_test_id("publish-problems")).to_contain_text("Add at least one task")
    data = tmp_path / "birds.csv"
    data.write_text("external_id,text,gold_answer\n1,a robin,bird\n2,a car,\n3,a sparrow,\n")
    page.locator("input[type=file]").set_input_files(str(data))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_test_id("import-status")).to_contain_text("3 tasks added")
    page.get_by_role("link", name="Bird or not").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_test_id("project-status")).to_have_text("Active")
    page.screenshot(path=artifacts_dir / "requester-project.png", full_page=True)
    project = Project.objects.get(title="Bird or not")
    assert project.status == ProjectStatus.ACTIVE
    assert (project.tasks_count, project.gold_tasks_count) == (3, 1)
