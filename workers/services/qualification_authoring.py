"""Authoring qualifications: types and their test questions, by staff (platform-wide types) and
requesters (their organisation's types). Attempts at the tests are in ``qualification_attempts``;
grants and revocations in ``qualification_grants``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from accounts.models import User
from marketplace.task_types import ValidationProblem, task_type
from workers.models import QualificationQuestion, QualificationType
from workers.services.errors import InvalidInput, NotAllowed
from workers.services.qualification_common import problems_as_fields, qualification_check_manager

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


def _validated(qualification: QualificationType) -> QualificationType:
    try:
        qualification.full_clean(exclude=["account", "created_by"])
    except ValidationError as error:
        raise InvalidInput(
            "The qualification has invalid fields.", fields=error.message_dict
        ) from None
    return qualification


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
            fields=problems_as_fields(problem, "label_config"),
        ) from None
    problems = kind.data_errors(data, config)
    if problems:
        raise InvalidInput(
            "The question's data is invalid.",
            fields=problems_as_fields(ValidationProblem(problems), "data"),
        )
    try:
        key = kind.clean_answer(answer_key, config=config, data=data, field="answer_key")
    except ValidationProblem as problem:
        raise InvalidInput(
            "The answer key is invalid.", fields=problems_as_fields(problem, "answer_key")
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
