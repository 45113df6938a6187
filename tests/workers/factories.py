"""Builders shared by the workers tests: a sentiment qualification test made through the
authoring service (four classification questions, passing at 75 %), and a worker's scored
attempt at it with a chosen number of right answers."""

from workers.models import QualificationKind
from workers.services.qualification_attempts import attempt_start, attempt_submit
from workers.services.qualification_authoring import (
    qualification_question_create,
    qualification_type_create,
)

SENTIMENT = {"labels": ["positive", "negative"]}
QUESTIONS = [
    ("I love it", "positive"),
    ("Terrible service", "negative"),
    ("Best day ever", "positive"),
    ("Never again", "negative"),
]


def make_test(actor, *, questions=QUESTIONS, **fields):
    """A sentiment test owned by ``actor``'s organisation (or platform-wide for staff)."""
    values = {
        "name": "Sentiment basics",
        "kind": QualificationKind.TEST,
        "passing_score": 75,
        "retake_delay_seconds": 3600,
        "time_limit_seconds": 600,
        **fields,
    }
    qualification = qualification_type_create(actor=actor, **values)
    for text, answer in questions:
        qualification_question_create(
            actor=actor,
            qualification=qualification,
            template_type="classification",
            label_config=SENTIMENT,
            data={"text": text},
            answer_key=answer,
            explanation=f"“{text}” is {answer}.",
        )
    return qualification


def answers_for(qualification, right: int) -> dict[str, str]:
    """Answers with the first ``right`` questions right and the rest wrong."""
    flip = {"positive": "negative", "negative": "positive"}
    return {
        str(question.pk): question.answer_key if index < right else flip[question.answer_key]
        for index, question in enumerate(qualification.questions.all())
    }


def take(worker, qualification, right: int, now=None):
    attempt = attempt_start(worker=worker, qualification=qualification, now=now)
    return attempt_submit(
        worker=worker,
        attempt_id=attempt.pk,
        answers=answers_for(qualification, right),
        now=now,
    )
