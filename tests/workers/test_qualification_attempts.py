"""Attempts at qualification tests and trainings: scoring on the server, time limit, retake
delay, attempt limit, holding and expiry, training feedback."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.workers.factories import answers_for, make_test, take
from workers.models import QualificationKind, WorkerQualification
from workers.services.errors import AttemptRefused, InvalidInput, NotFound
from workers.services.qualification_attempts import (
    attempt_answer,
    attempt_start,
    attempt_submit,
    training_feedback,
)
from workers.services.qualification_authoring import (
    qualification_question_create,
    qualification_type_create,
)

pytestmark = pytest.mark.django_db


def test_three_of_four_right_scores_75_and_passes_with_the_score_as_value(requester, worker):
    qualification = make_test(requester, validity_days=30)
    attempt = take(worker, qualification, right=3)
    assert (attempt.score, attempt.passed) == (75, True)
    grant = WorkerQualification.objects.get(worker=worker, qualification=qualification)
    assert grant.value == 75
    assert grant.expires_at - grant.granted_at == timedelta(days=30)
    assert worker.notifications.filter(text__contains="Sentiment basics").exists()


def test_two_of_four_right_fails_and_grants_nothing(requester, worker):
    qualification = make_test(requester)
    attempt = take(worker, qualification, right=2)
    assert (attempt.score, attempt.passed) == (50, False)
    assert not WorkerQualification.objects.filter(worker=worker).exists()
    assert attempt.results == {
        key: index < 2 for index, key in enumerate(answers_for(qualification, 0))
    }


def test_invalid_or_missing_answers_count_as_wrong(requester, worker):
    qualification = make_test(requester)
    attempt = attempt_start(worker=worker, qualification=qualification)
    first = qualification.questions.first()
    attempt = attempt_submit(
        worker=worker, attempt_id=attempt.pk, answers={str(first.pk): "not-a-label"}
    )
    assert attempt.score == 0


def test_answer_recorded_one_at_a_time_must_fit_the_template(requester, worker):
    qualification = make_test(requester)
    attempt = attempt_start(worker=worker, qualification=qualification)
    question = qualification.questions.first()
    with pytest.raises(InvalidInput):
        attempt_answer(
            worker=worker, attempt_id=attempt.pk, question_id=question.pk, answer="maybe"
        )
    for question in qualification.questions.all():
        attempt_answer(
            worker=worker,
            attempt_id=attempt.pk,
            question_id=question.pk,
            answer=question.answer_key,
        )
    assert attempt_submit(worker=worker, attempt_id=attempt.pk).score == 100


def test_free_text_answers_compare_without_case_or_extra_spaces(requester, worker):
    qualification = qualification_type_create(actor=requester, name="Capitals", passing_score=100)
    question = qualification_question_create(
        actor=requester,
        qualification=qualification,
        template_type="free_text",
        label_config={},
        data={"text": "Capital of France?"},
        answer_key="Paris",
    )
    attempt = attempt_start(worker=worker, qualification=qualification)
    attempt = attempt_submit(
        worker=worker, attempt_id=attempt.pk, answers={str(question.pk): "  paris "}
    )
    assert attempt.passed


@pytest.mark.parametrize(
    ("drawn", "passed"),
    [
        ({"x": 0.11, "y": 0.19, "width": 0.31, "height": 0.42, "label": "car"}, True),
        ({"x": 0.11, "y": 0.19, "width": 0.31, "height": 0.42, "label": "person"}, False),
        ({"x": 0.5, "y": 0.5, "width": 0.3, "height": 0.4, "label": "car"}, False),
    ],
)
def test_a_drawn_box_counts_when_it_overlaps_the_key_enough(requester, worker, drawn, passed):
    """Nobody draws a box to the pixel: same label and IoU >= 0.5, as for gold answers."""
    qualification = qualification_type_create(actor=requester, name="Cars", passing_score=100)
    question = qualification_question_create(
        actor=requester,
        qualification=qualification,
        template_type="bounding_boxes",
        label_config={"labels": ["car", "person"]},
        data={"image_url": "https://example.com/street.png"},
        answer_key=[{"x": 0.1, "y": 0.2, "width": 0.3, "height": 0.4, "label": "car"}],
    )
    attempt = attempt_start(worker=worker, qualification=qualification)
    attempt = attempt_submit(
        worker=worker, attempt_id=attempt.pk, answers={str(question.pk): [drawn]}
    )
    assert attempt.passed is passed


def test_the_same_open_attempt_is_resumed_not_duplicated(requester, worker):
    qualification = make_test(requester)
    first = attempt_start(worker=worker, qualification=qualification)
    assert attempt_start(worker=worker, qualification=qualification).pk == first.pk


def test_answers_after_the_time_limit_score_nothing(requester, worker):
    qualification = make_test(requester, time_limit_seconds=60)
    start = timezone.now()
    attempt = attempt_start(worker=worker, qualification=qualification, now=start)
    attempt = attempt_submit(
        worker=worker,
        attempt_id=attempt.pk,
        answers=answers_for(qualification, 4),
        now=start + timedelta(minutes=5),
    )
    assert (attempt.score, attempt.passed, attempt.timed_out) == (0, False, True)


def test_retake_waits_for_the_delay_after_a_failed_attempt(requester, worker):
    qualification = make_test(requester, retake_delay_seconds=3600)
    start = timezone.now()
    take(worker, qualification, right=1, now=start)
    with pytest.raises(AttemptRefused, match="retake"):
        attempt_start(worker=worker, qualification=qualification, now=start + timedelta(minutes=59))
    later = start + timedelta(minutes=61)
    assert take(worker, qualification, right=4, now=later).passed


def test_no_attempt_beyond_the_maximum(requester, worker):
    qualification = make_test(requester, retake_delay_seconds=0, max_attempts=2)
    take(worker, qualification, right=0)
    take(worker, qualification, right=0)
    with pytest.raises(AttemptRefused, match="all 2 attempts"):
        attempt_start(worker=worker, qualification=qualification)


def test_a_worker_holding_the_qualification_cannot_retake_until_it_expires(requester, worker):
    qualification = make_test(requester, validity_days=7)
    start = timezone.now()
    take(worker, qualification, right=4, now=start)
    with pytest.raises(AttemptRefused, match="already hold"):
        attempt_start(worker=worker, qualification=qualification, now=start + timedelta(days=6))
    attempt = attempt_start(
        worker=worker, qualification=qualification, now=start + timedelta(days=8)
    )
    assert attempt.is_open


def test_someone_elses_attempt_is_not_found(requester, worker, make_user):
    qualification = make_test(requester)
    attempt = attempt_start(worker=worker, qualification=qualification)
    with pytest.raises(NotFound):
        attempt_submit(worker=make_user(), attempt_id=attempt.pk, answers={})


def test_a_training_explains_each_answer_at_once_and_a_pass_grants(requester, worker):
    qualification = make_test(requester, kind=QualificationKind.TRAINING, passing_score=50)
    attempt = attempt_start(worker=worker, qualification=qualification)
    first, *rest = qualification.questions.all()
    attempt = attempt_answer(
        worker=worker, attempt_id=attempt.pk, question_id=first.pk, answer="negative"
    )
    feedback = training_feedback(attempt=attempt, question_id=first.pk)
    assert feedback == {
        "question": first.pk,
        "correct": False,
        "explanation": "“I love it” is positive.",
    }
    with pytest.raises(AttemptRefused, match="cannot be changed"):
        attempt_answer(
            worker=worker, attempt_id=attempt.pk, question_id=first.pk, answer="positive"
        )
    attempt = attempt_submit(
        worker=worker,
        attempt_id=attempt.pk,
        answers={str(first.pk): "positive", **{str(q.pk): q.answer_key for q in rest}},
    )
    assert (attempt.score, attempt.passed) == (75, True)  # the explained answer stayed wrong


def test_a_test_gives_no_feedback_before_the_submit(requester, worker):
    qualification = make_test(requester, show_feedback=True)
    attempt = attempt_start(worker=worker, qualification=qualification)
    question = qualification.questions.first()
    attempt = attempt_answer(
        worker=worker, attempt_id=attempt.pk, question_id=question.pk, answer="negative"
    )
    assert training_feedback(attempt=attempt, question_id=question.pk) is None
