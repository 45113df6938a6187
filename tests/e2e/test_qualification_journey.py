"""A new worker is locked out of a project, takes its qualification test in the browser,
passes, and starts working on the project."""

import pytest
from playwright.sync_api import Page, expect

from marketplace.models import Assignment
from tests.marketplace.factories import ProjectFactory, TaskFactory
from tests.workers.factories import QUESTIONS, make_test
from workers.models import RequirementKind, WorkerQualification
from workers.services.requirements import requirement_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_locked_out_worker_passes_the_test_and_starts_working(
    page: Page, live_server, requester, worker, password, artifacts_dir
):
    qualification = make_test(requester, show_feedback=True)
    project = ProjectFactory(account=requester.requester_account, title="Review sentiment")
    TaskFactory.create_batch(2, project=project)
    requirement_create(
        project=project,
        kind=RequirementKind.QUALIFICATION_AT_LEAST,
        qualification=qualification,
        value=75,
    )

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(worker.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()

    # Locked out: the workspace hands out nothing, and the claim API says why.
    page.goto(f"{live_server.url}/work/projects/{project.pk}/")
    expect(page.get_by_test_id("project-unavailable")).to_be_visible()
    expect(page.get_by_test_id("task")).to_have_count(0)
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    refused = page.request.post(
        f"{live_server.url}/api/v1/assignments/claim/",
        data={"project": project.pk},
        headers={"X-CSRFToken": csrf},
    )
    assert refused.status == 403
    assert refused.json()["error"]["code"] == "requirements_not_met"

    # The qualifications page shows the locked project and the test that unlocks it.
    page.get_by_role("link", name="Qualifications").first.click()
    locked = page.get_by_test_id("locked-projects")
    expect(locked).to_contain_text("Review sentiment")
    page.screenshot(path=artifacts_dir / "qualification-locked.png", full_page=True)
    locked.get_by_role("link", name="Unlock: Sentiment basics").click()
    page.get_by_role("button", name="Start the test").click()

    # One question per page; three right answers of four pass at 75 %.
    answers = dict(QUESTIONS)
    for number in range(1, len(QUESTIONS) + 1):
        question = page.get_by_test_id("test-question")
        expect(page.get_by_test_id("progress")).to_contain_text(f"Question {number} of 4")
        text = question.locator(".task-text").inner_text().strip()
        answer = answers[text]
        if number == 4:
            answer = "positive" if answer == "negative" else "negative"  # one wrong
        question.get_by_label(answer).check()
        question.get_by_role("button").click()

    result = page.get_by_test_id("attempt-result")
    expect(result).to_contain_text("75%")
    expect(result).to_contain_text("Passed")
    expect(page.get_by_test_id("feedback")).to_contain_text("wrong")
    page.screenshot(path=artifacts_dir / "qualification-passed.png", full_page=True)
    assert WorkerQualification.objects.get(worker=worker).value == 75

    # Unlocked: the workspace now hands out a task of the project.
    page.goto(f"{live_server.url}/work/projects/{project.pk}/")
    expect(page.get_by_test_id("task")).to_be_visible()
    page.screenshot(path=artifacts_dir / "qualification-working.png", full_page=True)
    assert Assignment.objects.filter(worker=worker, project=project).count() == 1
