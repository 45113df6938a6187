"""Qualification types and their tests; attempts scored on the server; grants and revocations.

Rules of a test (MTurk-like): one open attempt at a time (a database constraint), a time limit
(answers after the deadline plus ``GRACE_SECONDS`` score nothing), a retake delay after a failed
attempt, at most ``max_attempts`` attempts, and no new attempt while the worker holds the
qualification. A pass grants the qualification with the score (percent) as its value, valid for
``validity_days``. The answer key is read here, for scoring, and nowhere worker-facing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from accounts.models import User
from marketplace.services.worker_stats import answers_match
from marketplace.task_types import ValidationProblem, task_type
from workers.eligibility import eligibility_invalidate
from workers.models import (
    AuditAction,
    QualificationAttempt,
    QualificationKind,
    QualificationQuestion,
    QualificationType,
    WorkerQualification,
)
from workers.services.audit import audit_record
from workers.services.errors import AttemptRefused, InvalidInput, NotAllowed, NotFound
from workers.services.notifications import notification_create

GRACE_SECONDS = 30
TESTED_KINDS = (QualificationKind.TEST, QualificationKind.TRAINING)
TYPE_FIELDS = (
    "name",
    "description",
    "kind",
    "passing_score",
    "time_limit_seconds",
    "retake_delay_seconds",
    "max_attempts",
    "validity_days",
    "show_feedback",
    "auto_value",
    "is_active",
)


def _problems_as_fields(problem: ValidationProblem, default: str) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in problem.errors:
        name = (error["field"] or default).split("[")[0].split(".")[0] or default
        fields.setdefault(name, []).append(error["message"])
    return fields


def _validated(qualification: QualificationType) -> QualificationType:
    try:
        qualification.full_clean(exclude=["account", "created_by"])
    except ValidationError as error:
        raise InvalidInput(
            "The qualification has invalid fields.", fields=error.message_dict
        ) from None
    return qualification


def qualification_check_manager(*, actor: User, qualification: QualificationType) -> None:
    """Staff manage every qualification; a requester only their organisation's (404 for
    others', never confirming they exist)."""
    if actor.is_staff:
        return
    if not actor.is_requester or qualification.account_id != actor.requester_account_id:
        raise NotFound("No such qualification.")


# --- Types and questions ----------------------------------------------------------------------


@transaction.atomic
def qualification_type_create(*, actor: User, **fields: Any) -> QualificationType:
    """Staff create platform-wide types; requesters create types of their organisation."""
    if not (actor.is_staff or actor.is_requester):
        raise NotAllowed("Only requesters and staff create qualifications.")
    unknown = set(fields) - set(TYPE_FIELDS)
    if unknown:
        raise InvalidInput(f"Unknown fields: {', '.join(sorted(unknown))}.")
    qualification = QualificationType(
        account_id=None if actor.is_staff else actor.requester_account_id,
        created_by=actor,
        **fields,
    )
    _validated(qualification).save()
    return qualification


@transaction.atomic
def qualification_type_update(
    *, actor: User, qualification: QualificationType, **fields: Any
) -> QualificationType:
    qualification_check_manager(actor=actor, qualification=qualification)
    qualification = QualificationType.objects.select_for_update().get(pk=qualification.pk)
    for name, value in fields.items():
        if name not in TYPE_FIELDS:
            raise InvalidInput(f"Unknown field: {name}.")
        setattr(qualification, name, value)
    _validated(qualification).save()
    return qualification


@transaction.atomic
def qualification_question_create(
    *,
    actor: User,
    qualification: QualificationType,
    template_type: str,
    label_config: Any,
    data: Any,
    answer_key: Any,
    explanation: str = "",
) -> QualificationQuestion:
    """A test question in any task template type, validated like a project's gold task."""
    qualification_check_manager(actor=actor, qualification=qualification)
    QualificationType.objects.select_for_update().filter(pk=qualification.pk).first()
    try:
        kind = task_type(template_type)
        config = kind.clean_config(label_config if label_config is not None else {})
    except ValidationProblem as problem:
        raise InvalidInput(
            "The question's template is invalid.",
            fields=_problems_as_fields(problem, "label_config"),
        ) from None
    problems = kind.data_errors(data, config)
    if problems:
        raise InvalidInput(
            "The question's data is invalid.",
            fields=_problems_as_fields(ValidationProblem(problems), "data"),
        )
    try:
        key = kind.clean_answer(answer_key, config=config, data=data, field="answer_key")
    except ValidationProblem as problem:
        raise InvalidInput(
            "The answer key is invalid.", fields=_problems_as_fields(problem, "answer_key")
        ) from None
    last = qualification.questions.aggregate(last=Max("position"))["last"]
    return QualificationQuestion.objects.create(
        qualification=qualification,
        position=0 if last is None else last + 1,
        template_type=template_type,
        label_config=config,
        data=data,
        answer_key=key,
        explanation=explanation,
    )


@transaction.atomic
def qualification_question_delete(*, actor: User, question: QualificationQuestion) -> None:
    qualification_check_manager(actor=actor, qualification=question.qualification)
    question.delete()


# --- Attempts ---------------------------------------------------------------------------------


def _require_worker(worker: User) -> None:
    if not (worker.is_active and worker.is_worker):
        raise NotAllowed("Only workers take qualification tests.")


def _holds(worker: User, qualification: QualificationType, now: datetime) -> bool:
    return (
        WorkerQualification.objects.filter(
            worker=worker, qualification=qualification, revoked_at__isnull=True
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .exists()
    )


def attempt_next_allowed_at(
    *, worker: User, qualification: QualificationType, now: datetime
) -> tuple[datetime | None, str]:
    """When the worker may start an attempt (``now`` if at once, None if never) and why not."""
    if qualification.kind not in TESTED_KINDS or not qualification.is_active:
        return None, "This qualification has no test to take."
    if _holds(worker, qualification, now):
        return None, "You already hold this qualification."
    if WorkerQualification.objects.filter(
        worker=worker, qualification=qualification, revoked_at__isnull=False
    ).exists():
        return None, "This qualification was revoked; the test cannot be taken again."
    finished = QualificationAttempt.objects.filter(
        worker=worker, qualification=qualification, finished_at__isnull=False
    )
    if qualification.max_attempts is not None and finished.count() >= qualification.max_attempts:
        return None, f"You have used all {qualification.max_attempts} attempts."
    last = finished.order_by("-finished_at").first()
    if last is not None and not last.passed:
        retake_at = last.finished_at + timedelta(seconds=qualification.retake_delay_seconds)
        if retake_at > now:
            return retake_at, f"You can retake this test after {retake_at:%Y-%m-%d %H:%M} UTC."
    return now, ""


@transaction.atomic
def attempt_start(
    *, worker: User, qualification: QualificationType, now: datetime | None = None
) -> QualificationAttempt:
    """Start (or resume, while its time runs) the worker's attempt at the test."""
    _require_worker(worker)
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
            "The answer is not valid.", fields=_problems_as_fields(problem, "answer")
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
        _grant(
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
    _require_worker(worker)
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


# --- Grants -----------------------------------------------------------------------------------


def _grant(
    *,
    worker: User,
    qualification: QualificationType,
    value: int,
    now: datetime,
    granted_by: User | None = None,
    reason: str = "",
) -> WorkerQualification:
    expires_at = (
        now + timedelta(days=qualification.validity_days) if qualification.validity_days else None
    )
    grant, _ = WorkerQualification.objects.update_or_create(
        worker=worker,
        qualification=qualification,
        defaults={
            "value": value,
            "granted_at": now,
            "expires_at": expires_at,
            "revoked_at": None,
            "reason": reason,
            "granted_by": granted_by,
        },
    )
    until = f" until {expires_at:%Y-%m-%d}" if expires_at else ""
    notification_create(
        worker=worker,
        text=f"You were granted the qualification “{qualification.name}” ({value}){until}.",
    )
    transaction.on_commit(lambda: eligibility_invalidate(worker_id=worker.pk))
    return grant


@transaction.atomic
def qualification_request(
    *, worker: User, qualification: QualificationType, now: datetime | None = None
) -> WorkerQualification:
    """An auto-granted qualification: the worker asks and gets ``auto_value``."""
    _require_worker(worker)
    now = now or timezone.now()
    if qualification.kind != QualificationKind.AUTO or not qualification.is_active:
        raise AttemptRefused("This qualification is not granted on request.")
    existing = WorkerQualification.objects.filter(
        worker=worker, qualification=qualification
    ).first()
    if existing is not None and existing.revoked_at is not None:
        raise AttemptRefused("This qualification was revoked; it cannot be requested again.")
    if existing is not None and existing.is_active_at(now):
        return existing
    return _grant(
        worker=worker, qualification=qualification, value=qualification.auto_value, now=now
    )


@transaction.atomic
def qualification_grant(
    *,
    actor: User,
    worker: User,
    qualification: QualificationType,
    value: int,
    reason: str,
    now: datetime | None = None,
) -> WorkerQualification:
    """Grant by hand (requester for their own types, staff for any), with a reason; audited."""
    qualification_check_manager(actor=actor, qualification=qualification)
    if not worker.is_worker:
        raise InvalidInput("Only workers hold qualifications.")
    if not reason.strip():
        raise InvalidInput("A reason is required.", fields={"reason": ["This field is required."]})
    grant = _grant(
        worker=worker,
        qualification=qualification,
        value=value,
        now=now or timezone.now(),
        granted_by=actor,
        reason=reason,
    )
    audit_record(
        actor=actor,
        action=AuditAction.GRANT,
        worker=worker,
        reason=reason,
        details={"qualification": qualification.pk, "name": qualification.name, "value": value},
    )
    return grant


@transaction.atomic
def qualification_revoke(
    *,
    actor: User,
    worker: User,
    qualification: QualificationType,
    reason: str,
    now: datetime | None = None,
) -> WorkerQualification:
    qualification_check_manager(actor=actor, qualification=qualification)
    if not reason.strip():
        raise InvalidInput("A reason is required.", fields={"reason": ["This field is required."]})
    grant = (
        WorkerQualification.objects.select_for_update()
        .filter(worker=worker, qualification=qualification, revoked_at__isnull=True)
        .first()
    )
    if grant is None:
        raise NotFound("This worker does not hold this qualification.")
    grant.revoked_at = now or timezone.now()
    grant.reason = reason
    grant.save(update_fields=["revoked_at", "reason"])
    notification_create(
        worker=worker,
        text=f"Your qualification “{qualification.name}” was revoked: {reason}",
    )
    audit_record(
        actor=actor,
        action=AuditAction.REVOKE,
        worker=worker,
        reason=reason,
        details={"qualification": qualification.pk, "name": qualification.name},
    )
    transaction.on_commit(lambda: eligibility_invalidate(worker_id=worker.pk))
    return grant
