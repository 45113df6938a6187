"""A worker takes a qualification test with a spans question and a bounding-boxes question in
the browser, with the workspace's widgets: mouse and keyboard, no API calls of their own."""

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from workers.models import QualificationAttempt, QualificationKind, WorkerQualification
from workers.services.qualification_authoring import (
    qualification_question_create,
    qualification_type_create,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TEXT = "Ada Lovelace wrote notes in London."
SPAN_CONFIG = {"labels": [{"value": "PERSON", "shortcut": "p"}, {"value": "PLACE"}]}
BOX_CONFIG = {"labels": [{"value": "car", "shortcut": "c"}, {"value": "person", "shortcut": "h"}]}


def drawn_test(requester, image_url):
    qualification = qualification_type_create(
        actor=requester,
        name="Spot things",
        kind=QualificationKind.TEST,
        passing_score=100,
        time_limit_seconds=600,
        show_feedback=True,
    )
    for template_type, config, data, key in (
        (
            "spans",
            SPAN_CONFIG,
            {"text": TEXT},
            [
                {"start": 0, "end": 12, "label": "PERSON"},
                {"start": 28, "end": 34, "label": "PLACE"},
            ],
        ),
        (
            "bounding_boxes",
            BOX_CONFIG,
            {"image_url": image_url},
            [{"x": 0.1, "y": 0.2, "width": 0.3, "height": 0.4, "label": "car"}],
        ),
    ):
        qualification_question_create(
            actor=requester,
            qualification=qualification,
            template_type=template_type,
            label_config=config,
            data=data,
            answer_key=key,
            explanation="",
        )
    return qualification


def _phrase_rect(page: Page, phrase: str) -> dict:
    return page.evaluate(
        """(phrase) => {
            const box = document.querySelector(".span-text");
            const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
            let node;
            while ((node = walker.nextNode()) && node.textContent.indexOf(phrase) < 0) {}
            const at = node.textContent.indexOf(phrase);
            const range = document.createRange();
            range.setStart(node, at); range.setEnd(node, at + phrase.length);
            const r = range.getBoundingClientRect();
            return {left: r.left, right: r.right, y: r.top + r.height / 2};
        }""",
        phrase,
    )


def _drag_select(page: Page, phrase: str) -> None:
    rect = _phrase_rect(page, phrase)
    page.mouse.move(rect["left"] + 1, rect["y"])
    page.mouse.down()
    page.mouse.move(rect["right"] - 1, rect["y"], steps=5)
    page.mouse.up()


def _stage_point(page: Page, fx: float, fy: float) -> tuple[float, float]:
    box = page.get_by_test_id("box-stage").bounding_box()
    return box["x"] + fx * box["width"], box["y"] + fy * box["height"]


def test_a_worker_answers_spans_and_boxes_questions_in_a_test(
    page: Page, live_server, requester, worker, artifacts_dir
):
    qualification = drawn_test(requester, f"{live_server.url}/static/img/sample.png")
    client = Client()
    client.force_login(worker)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/work/qualifications/{qualification.pk}/")
    page.get_by_role("button", name="Start the test").click()

    # Question 1, spans: a label key without a selection explains itself next to the widget.
    expect(page.get_by_test_id("progress")).to_contain_text("Question 1 of 2")
    expect(page.locator("form[data-ready=true]")).to_have_count(1)  # the script is wired
    page.keyboard.press("p")
    expect(page.get_by_test_id("answer-errors")).to_contain_text("Select some text first")
    _drag_select(page, "Ada Lovelace")
    page.keyboard.press("p")  # keyboard
    _drag_select(page, "London")
    page.get_by_role("button", name="PLACE").click()  # mouse
    expect(page.get_by_test_id("span-list").locator("li")).to_have_count(2)
    expect(page.get_by_test_id("answer-errors")).to_have_text("")
    page.screenshot(path=artifacts_dir / "test-page-spans.png", full_page=True)
    page.get_by_role("button", name="Next question").click()

    # Question 2, boxes: drawn with the "person" label, relabelled "car" with its key.
    expect(page.get_by_test_id("progress")).to_contain_text("Question 2 of 2")
    expect(page.locator("form[data-ready=true]")).to_have_count(1)
    page.wait_for_function("document.querySelector('.box-stage img').naturalWidth === 320")
    page.get_by_role("button", name="person").click()
    page.mouse.move(*_stage_point(page, 0.1, 0.2))
    page.mouse.down()
    page.mouse.move(*_stage_point(page, 0.41, 0.61), steps=6)
    page.mouse.up()
    page.keyboard.press("c")
    expect(page.get_by_test_id("box-list")).to_contain_text("Box 1: car")
    page.screenshot(path=artifacts_dir / "test-page-boxes.png", full_page=True)
    page.get_by_role("button", name="Submit the test").click()

    result = page.get_by_test_id("attempt-result")
    expect(result).to_contain_text("100%")
    expect(result).to_contain_text("Passed")
    attempt = QualificationAttempt.objects.get(worker=worker)
    spans, boxes = (attempt.answers[str(q.pk)] for q in qualification.questions.all())
    assert spans == [
        {"start": 0, "end": 12, "label": "PERSON"},
        {"start": 28, "end": 34, "label": "PLACE"},
    ]
    assert [box["label"] for box in boxes] == ["car"]
    assert boxes[0]["x"] == pytest.approx(0.1, abs=0.02)
    assert WorkerQualification.objects.get(worker=worker).value == 100
