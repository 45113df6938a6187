"""A worker answers tasks of every template type in the browser, with mouse and keyboard, and
submit-and-next swaps tasks in without reloading the page. Answers are checked in the database."""

import re

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Role
from marketplace.models import Assignment, AssignmentStatus, Project, Task, TemplateType
from marketplace.services.assignments import assignment_claim
from marketplace.task_types import task_type
from tests.marketplace.factories import ProjectFactory, TaskFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _project(template_type: str, config: dict, *texts_or_data, **fields) -> Project:
    project = ProjectFactory(
        template_type=template_type,
        label_config=task_type(template_type).clean_config(config),
        overlap_min=1,
        overlap_max=1,
        instructions="Read **carefully**.",
        **fields,
    )
    for item in texts_or_data:
        TaskFactory(project=project, data=item if isinstance(item, dict) else {"text": item})
    return project


def _open_workspace(page: Page, live_server, worker, project: Project) -> None:
    """Log in through the session cookie (the login form has its own test) and open the page;
    a marker on window proves later tasks arrive without a page reload."""
    client = Client()
    client.force_login(worker)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/work/projects/{project.pk}/")
    expect(page.get_by_test_id("task")).to_be_visible()
    page.evaluate("window.__sameDocument = true")


def _wait_for_next(page: Page, previous_assignment: str) -> str:
    """After a submit: the next task (a different assignment) is in the slot."""
    task = page.locator(f"[data-testid=task]:not([data-assignment='{previous_assignment}'])")
    expect(task).to_be_visible()
    return task.get_attribute("data-assignment")


def _assignment(page: Page) -> str:
    return page.get_by_test_id("task").get_attribute("data-assignment")


def _finish(page: Page, artifacts_dir, name: str) -> None:
    expect(page.get_by_test_id("no-more-work")).to_be_visible()
    expect(page.get_by_test_id("done-count")).to_have_text("2")
    assert page.evaluate("window.__sameDocument") is True  # no full page reload
    page.screenshot(path=artifacts_dir / f"workspace-{name}.png", full_page=True)


def _answers(project: Project) -> list:
    rows = Assignment.objects.filter(project=project).order_by("task_id")
    assert all(row.status == AssignmentStatus.SUBMITTED for row in rows)
    return [row.answer for row in rows]


LABELS = {
    "labels": [
        {"value": "cat", "shortcut": "1"},
        {"value": "dog", "shortcut": "2"},
        {"value": "bird", "shortcut": "3"},
    ]
}


def test_classification_of_an_image_and_a_text_by_mouse_then_keyboard(
    page: Page, live_server, worker, artifacts_dir
):
    image = {"image_url": f"{live_server.url}/static/img/sample.png"}
    project = _project(TemplateType.CLASSIFICATION, LABELS, image, "A dog barks at the door")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    _open_workspace(page, live_server, worker, project)
    expect(page.get_by_test_id("countdown")).to_have_text(re.compile(r"^(10:00|9:5\d)$"))
    page.get_by_test_id("instructions").locator("summary").click()
    expect(page.get_by_test_id("instructions").locator("strong")).to_have_text("carefully")
    image_loaded = "img => img.complete && img.naturalWidth === 320"
    page.wait_for_function(f"({image_loaded})(document.querySelector('.task-image'))")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows
    page.screenshot(path=artifacts_dir / "workspace-phone.png", full_page=True)

    first = _assignment(page)
    page.get_by_label("cat").click()  # mouse
    page.get_by_test_id("submit").click()
    _wait_for_next(page, first)
    expect(page.get_by_text("A dog barks at the door")).to_be_visible()
    page.keyboard.press("2")  # keyboard: the label's shortcut, then Enter
    page.keyboard.press("Enter")
    _finish(page, artifacts_dir, "no-more-work-phone")
    assert _answers(project) == ["cat", "dog"]


def test_multi_label_with_checkboxes_and_shortcuts_and_an_error_next_to_the_widget(
    page: Page, live_server, worker, artifacts_dir
):
    project = _project(TemplateType.MULTI_LABEL, LABELS, "A cat watches a bird", "A dog")
    _open_workspace(page, live_server, worker, project)
    page.keyboard.press("Enter")  # nothing chosen: the API refuses, the message is shown
    expect(page.get_by_test_id("answer-errors")).to_contain_text("choose at least one label")
    first = _assignment(page)
    page.get_by_label("bird").click()
    page.get_by_label("cat").click()
    page.get_by_test_id("submit").click()
    _wait_for_next(page, first)
    page.keyboard.press("2")
    page.keyboard.press("3")
    page.keyboard.press("3")  # toggles bird off again
    page.keyboard.press("Enter")
    _finish(page, artifacts_dir, "multi-label")
    assert _answers(project) == [["cat", "bird"], ["dog"]]


def test_free_text_typed_and_sent_with_the_button_then_ctrl_enter(
    page: Page, live_server, worker, artifacts_dir
):
    project = _project(
        TemplateType.FREE_TEXT, {"max_length": 200}, "Describe a cat", "Describe a dog"
    )
    _open_workspace(page, live_server, worker, project)
    first = _assignment(page)
    box = page.get_by_role("textbox", name="Your answer")
    box.click()
    page.keyboard.type("Small and proud.\nLikes boxes.")  # Enter inside the text is a new line
    page.get_by_test_id("submit").click()
    _wait_for_next(page, first)
    box = page.get_by_role("textbox", name="Your answer")
    expect(box).to_be_focused()
    page.keyboard.type("Loyal.")
    page.keyboard.press("Control+Enter")
    _finish(page, artifacts_dir, "free-text")
    assert _answers(project) == ["Small and proud.\nLikes boxes.", "Loyal."]


def _phrase_rect(page: Page, container: str, phrase: str) -> dict:
    """Where ``phrase`` is drawn: the first text node of ``container`` that holds it."""
    return page.evaluate(
        """([selector, phrase]) => {
            const box = document.querySelector(selector);
            const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
            let node;
            while ((node = walker.nextNode()) && node.textContent.indexOf(phrase) < 0) {}
            const at = node.textContent.indexOf(phrase);
            const range = document.createRange();
            range.setStart(node, at); range.setEnd(node, at + phrase.length);
            const r = range.getBoundingClientRect();
            return {left: r.left, right: r.right, y: r.top + r.height / 2};
        }""",
        [container, phrase],
    )


def _drag_select(page: Page, container: str, phrase: str) -> None:
    """Select ``phrase`` inside ``container`` with the mouse, from its first to last letter."""
    rect = _phrase_rect(page, container, phrase)
    page.mouse.move(rect["left"] + 1, rect["y"])
    page.mouse.down()
    page.mouse.move(rect["right"] - 1, rect["y"], steps=5)
    page.mouse.up()


def test_spans_selected_with_the_mouse_and_labelled_by_key_or_button(
    page: Page, live_server, worker, artifacts_dir
):
    config = {"labels": [{"value": "PERSON", "shortcut": "p"}, {"value": "PLACE", "shortcut": "l"}]}
    first_text = "Ada Lovelace wrote notes in London."
    second_text = "Grace Hopper sailed from Boston to Paris."
    project = _project(TemplateType.SPANS, config, first_text, second_text)
    _open_workspace(page, live_server, worker, project)
    first = _assignment(page)
    text = page.get_by_test_id("span-text")
    _drag_select(page, ".span-text", "Ada Lovelace")
    page.keyboard.press("p")
    london = _phrase_rect(page, ".span-text", "London")
    page.mouse.dblclick((london["left"] + london["right"]) / 2, london["y"])  # selects the word
    page.get_by_role("button", name="PLACE").click()
    spans = page.get_by_test_id("span-list").locator("li")
    expect(spans).to_have_count(2)
    expect(spans.nth(1)).to_contain_text("London")
    expect(text.locator("mark")).to_have_count(2)
    page.screenshot(path=artifacts_dir / "workspace-spans-task.png", full_page=True)
    page.get_by_test_id("submit").click()

    _wait_for_next(page, first)
    _drag_select(page, ".span-text", "Grace Hopper")
    page.get_by_role("button", name="PERSON").click()
    _drag_select(page, ".span-text", "Boston")
    page.keyboard.press("p")  # a mistake ...
    page.get_by_role("button", name="Remove PERSON span").nth(1).click()  # ... undone
    _drag_select(page, ".span-text", "Paris")
    page.keyboard.press("l")
    expect(page.get_by_test_id("span-list").locator("li")).to_have_count(2)
    page.keyboard.press("Enter")
    _finish(page, artifacts_dir, "spans")

    def span(text, phrase, label):
        start = text.index(phrase)
        return {"start": start, "end": start + len(phrase), "label": label}

    assert _answers(project) == [
        [span(first_text, "Ada Lovelace", "PERSON"), span(first_text, "London", "PLACE")],
        [span(second_text, "Grace Hopper", "PERSON"), span(second_text, "Paris", "PLACE")],
    ]


def _stage_point(page: Page, fx: float, fy: float) -> tuple[float, float]:
    box = page.get_by_test_id("box-stage").bounding_box()
    return box["x"] + fx * box["width"], box["y"] + fy * box["height"]


def _drag(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=6)
    page.mouse.up()


def test_bounding_boxes_drawn_moved_resized_and_labelled(
    page: Page, live_server, worker, artifacts_dir
):
    config = {"labels": [{"value": "car", "shortcut": "c"}, {"value": "person", "shortcut": "p"}]}
    image = {"image_url": f"{live_server.url}/static/img/sample.png"}
    project = _project(TemplateType.BOUNDING_BOXES, config, image, dict(image))
    _open_workspace(page, live_server, worker, project)
    page.wait_for_function("document.querySelector('.box-stage img').naturalWidth === 320")
    first = _assignment(page)
    # Draw a car box, move it right by 0.1, make it 0.1 taller, then relabel it with a key.
    _drag(page, _stage_point(page, 0.1, 0.2), _stage_point(page, 0.4, 0.6))
    _drag(page, _stage_point(page, 0.2, 0.4), _stage_point(page, 0.3, 0.4))
    handle = page.get_by_test_id("box-handle").bounding_box()
    corner = (handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    _drag(
        page,
        corner,
        (corner[0], corner[1] + 0.1 * page.get_by_test_id("box-stage").bounding_box()["height"]),
    )
    page.keyboard.press("p")
    expect(page.get_by_test_id("box-list")).to_contain_text("Box 1: person")
    page.get_by_test_id("submit").click()

    _wait_for_next(page, first)
    page.wait_for_function("document.querySelector('.box-stage img').naturalWidth === 320")
    page.get_by_role("button", name="person").click()
    _drag(page, _stage_point(page, 0.65, 0.3), _stage_point(page, 0.8, 0.75))
    page.keyboard.press("c")
    _drag(page, _stage_point(page, 0.15, 0.45), _stage_point(page, 0.45, 0.8))
    page.keyboard.press("Delete")  # removes the selected (second) box
    page.screenshot(path=artifacts_dir / "workspace-boxes.png", full_page=True)
    page.get_by_test_id("submit").click()
    _finish(page, artifacts_dir, "boxes-done")

    [[moved], [drawn]] = _answers(project)
    expected_moved = {"x": 0.2, "y": 0.2, "width": 0.3, "height": 0.5, "label": "person"}
    expected_drawn = {"x": 0.65, "y": 0.3, "width": 0.15, "height": 0.45, "label": "car"}
    for got, want in ((moved, expected_moved), (drawn, expected_drawn)):
        assert got["label"] == want["label"]
        for key in ("x", "y", "width", "height"):
            assert got[key] == pytest.approx(want[key], abs=0.02), (key, got)


def test_pairwise_by_click_then_tie_by_key(page: Page, live_server, worker, artifacts_dir):
    project = _project(
        TemplateType.PAIRWISE,
        {"allow_tie": True, "question": "Which reply is kinder?"},
        {"a": "Go away.", "b": "Happy to help!"},
        {"a": "Thanks!", "b": "Thank you!"},
    )
    _open_workspace(page, live_server, worker, project)
    expect(page.get_by_text("Which reply is kinder?")).to_be_visible()
    first = _assignment(page)
    page.get_by_text("Happy to help!").click()
    page.get_by_test_id("submit").click()
    _wait_for_next(page, first)
    page.keyboard.press("t")
    page.keyboard.press("Enter")
    _finish(page, artifacts_dir, "pairwise")
    assert _answers(project) == ["b", "tie"]


def test_rating_by_key_then_by_slider(page: Page, live_server, worker, artifacts_dir):
    project = _project(
        TemplateType.RATING,
        {"min": 1, "max": 5, "labels": {"1": "Poor", "5": "Excellent"}},
        "The service was fine.",
        "Best meal ever.",
    )
    _open_workspace(page, live_server, worker, project)
    page.keyboard.press("Enter")  # an untouched slider is not an answer
    expect(page.get_by_test_id("answer-errors")).to_contain_text("Choose a rating first")
    first = _assignment(page)
    page.keyboard.press("4")
    expect(page.get_by_test_id("rating-value")).to_have_text("Your rating: 4")
    page.keyboard.press("Enter")
    _wait_for_next(page, first)
    slider = page.get_by_role("slider", name="Rating").bounding_box()
    page.mouse.click(slider["x"] + slider["width"] - 2, slider["y"] + slider["height"] / 2)
    expect(page.get_by_test_id("rating-value")).to_have_text("Your rating: 5 — Excellent")
    page.get_by_test_id("submit").click()
    _finish(page, artifacts_dir, "rating")
    assert _answers(project) == [4, 5]


def test_skip_return_and_an_expired_lease_are_explained(
    page: Page, live_server, worker, make_user, artifacts_dir
):
    project = _project(TemplateType.CLASSIFICATION, LABELS, "one", "two", "three")
    _open_workspace(page, live_server, worker, project)
    first = _assignment(page)
    page.keyboard.press("s")  # skip
    second = _wait_for_next(page, first)
    assert Assignment.objects.get(pk=first).status == AssignmentStatus.SKIPPED
    claimed_lease = Assignment.objects.get(pk=second).expires_at
    page.get_by_test_id("extend").click()  # heartbeat: the lease moves on
    expect(page.get_by_test_id("notice")).to_contain_text("the task is yours until")
    assert Assignment.objects.get(pk=second).expires_at > claimed_lease

    # The lease of the second task runs out and the sweeper gives the slot to someone else.
    Assignment.objects.filter(pk=second).update(
        status=AssignmentStatus.EXPIRED, expires_at=timezone.now(), released_at=timezone.now()
    )
    Task.objects.filter(pk=Assignment.objects.get(pk=second).task_id).update(slots_taken=0)
    other = make_user(Role.WORKER)
    assignment_claim(worker=other, project=project)  # "one"
    assignment_claim(worker=other, project=project)  # "two": its slot is gone
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("notice")).to_contain_text("was not saved")
    page.screenshot(path=artifacts_dir / "workspace-lease-expired.png", full_page=True)
    page.get_by_test_id("next-task").click()
    third = _wait_for_next(page, second)
    expect(page.get_by_text("three", exact=True)).to_be_visible()

    page.get_by_test_id("return").click()
    expect(page.get_by_role("heading", name="Available work")).to_be_visible()
    assert Assignment.objects.get(pk=third).status == AssignmentStatus.RETURNED
    assert not Assignment.objects.filter(worker=worker, status=AssignmentStatus.SUBMITTED).exists()
