"""Attempts at qualification tests and trainings, scored on the server.

Rules of a test (MTurk-like): one open attempt at a time (a database constraint), a time limit
(answers after the deadline plus ``GRACE_SECONDS`` score nothing), a retake delay after a failed
attempt, at most ``max_attempts`` attempts, and no new attempt while the worker holds the
qualification (the rules as a read: ``workers.selectors.workforce.attempt_next_allowed_at``). A
pass grants the qualification with the score (percent) as its value, valid for
``validity_days``. The answer key is read here, for scoring, and nowhere worker-facing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from marketplace.services.worker_stats import answers_match
from marketplace.task_types import ValidationProblem, task_type
from workers.models import (
    QualificationAttempt,
    QualificationKind,
    QualificationQuestion,
    QualificationType,
)
from workers.selectors.workforce import attempt_next_allowed_at
from workers.services.errors import AttemptRefused, InvalidInput, NotFound
from workers.services.qualification_common import problems_as_fields, require_worker
from workers.services.qualification_grants import grant_record

GRACE_SECONDS = 30


@transaction.atomic
def attempt_start(
    *, worker: User, qualification: QualificationType, now: datetime | None = None
) -> QualificationAttempt:
    """Start (or resume, while its time runs) the worker's attempt at the test."""
    require_worker(worker)
    now = now or timezone.now()
    User.objects.select_for_update().filter(pk=worker.pk).first()  # one start at a time
    open_attempt = QualificationAttempt.objects.filter(
        worker=worker, qualification=qualification, finished_at__isnull=True
    ).first()
    if open_attempt is not None:
        if open_attempt.deadline_at + timedelta(seconds=GRACE_SECONDS) > now:
            return open_attempt
        _score(open_attempt, now=now)
    if not qualification.questions.exists():
        raise AttemptRefused("This test has no questions yet.")
    allowed_at, why = attempt_next_allowed_at(worker=worker, qualification=qualification, now=now)
    if allowed_at is None or allowed_at > now:
        raise AttemptRefused(why)
    return QualificationAttempt.objects.create(
        qualification=qualification,
        worker=worker,
        started_at=now,
        deadline_at=now + timedelta(seconds=qualification.time_limit_seconds),
    )


def _lock_attempt(worker: User, attempt_id: int) -> QualificationAttempt:
    attempt = (
        QualificationAttempt.objects.select_for_update()
        .select_related("qualification")
        .filter(pk=attempt_id, worker=worker)
        .first()
    )
    if attempt is None:
        raise NotFound("No such attempt.")
    return attempt


@transaction.atomic
def attempt_answer(
    *, worker: User, attempt_id: int, question_id: int, answer: Any, now: datetime | None = None
) -> QualificationAttempt:
    """Keep one answer of an open attempt (the page shows one question at a time). The answer
    must fit the question's template; whether it is right is decided only at submit."""
    now = now or timezone.now()
    attempt = _lock_attempt(worker, attempt_id)
    if not attempt.is_open:
        raise AttemptRefused("This attempt is finished.")
    question = attempt.qualification.questions.filter(pk=question_id).first()
    if question is None:
        raise NotFound("No such question in this test.")
    if attempt.qualification.kind == QualificationKind.TRAINING and str(question.pk) in (
        attempt.answers
    ):
        raise AttemptRefused("In a training an answer cannot be changed once explained.")
    try:
        task_type(question.template_type).clean_answer(
            answer, config=question.label_config, data=question.data
        )
    except ValidationProblem as problem:
        raise InvalidInput(
            "The answer is not valid.", fields=problems_as_fields(problem, "answer")
        ) from None
    attempt.answers = {**attempt.answers, str(question.pk): answer}
    attempt.save(update_fields=["answers"])
    return attempt


def training_feedback(*, attempt: QualificationAttempt, question_id: int) -> dict | None:
    """For a training only, once the question is answered: right or wrong and the explanation
    (never the key itself). None for tests, whose answers are judged only at submit."""
    if attempt.qualification.kind != QualificationKind.TRAINING:
        return None
    if str(question_id) not in attempt.answers:
        return None
    question = attempt.qualification.questions.filter(pk=question_id).first()
    if question is None:
        return None
    return {
        "question": question.pk,
        "correct": _is_right(question, attempt.answers[str(question_id)]),
        "explanation": question.explanation,
    }


def _is_right(question: QualificationQuestion, given: Any) -> bool:
    kind = task_type(question.template_type)
    try:
        cleaned = kind.clean_answer(given, config=question.label_config, data=question.data)
    except ValidationProblem:
        return False
    if question.template_type == "free_text":
        return " ".join(str(cleaned).split()).casefold() == (
            " ".join(str(question.answer_key).split()).casefold()
        )
    if question.template_type == "bounding_boxes":
        # A drawn box never matches to the pixel: pair boxes by label and IoU >= 0.5, as gold
        # answers are judged (marketplace.services.quality.answers_match).
        return answers_match("boxes", cleaned, question.answer_key)
    return cleaned == question.answer_key


def _score(attempt: QualificationAttempt, *, now: datetime) -> QualificationAttempt:
    """Score and close an attempt (caller holds its row lock); grant on a pass."""
    qualification = attempt.qualification
    timed_out = now > attempt.deadline_at + timedelta(seconds=GRACE_SECONDS)
    questions = list(qualification.questions.all())
    results = {
        str(question.pk): (not timed_out)
        and _is_right(question, attempt.answers.get(str(question.pk)))
        for question in questions
    }
    right = sum(results.values())
    attempt.results = results
    attempt.score = round(100 * right / len(questions)) if questions else 0
    attempt.passed = not timed_out and attempt.score >= qualification.passing_score
    attempt.timed_out = timed_out
    attempt.finished_at = now
    attempt.save(update_fields=["results", "score", "passed", "timed_out", "finished_at"])
    if attempt.passed:
        grant_record(
            worker=attempt.worker,
            qualification=qualification,
            value=attempt.score,
            now=now,
            reason=f"Passed the test with {attempt.score}%.",
        )
    return attempt


@transaction.atomic
def attempt_submit(
    *,
    worker: User,
    attempt_id: int,
    answers: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> QualificationAttempt:
    """Finish the attempt and score it at once. ``answers`` (question id -> answer) are merged
    over answers already kept. Submitting a finished attempt again returns it unchanged."""
    require_worker(worker)
    now = now or timezone.now()
    attempt = _lock_attempt(worker, attempt_id)
    if not attempt.is_open:
        return attempt
    if answers:
        known = {str(pk) for pk in attempt.qualification.questions.values_list("pk", flat=True)}
        incoming = {str(key): value for key, value in answers.items() if str(key) in known}
        if attempt.qualification.kind == QualificationKind.TRAINING:
            attempt.answers = {**incoming, **attempt.answers}  # explained answers stay
        else:
            attempt.answers = {**attempt.answers, **incoming}
    return _score(attempt, now=now)
