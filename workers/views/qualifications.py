"""Worker pages for qualification tests: the list, one test, taking it, the result.

A test is taken one question per page (the task widget renders it, plain form POST); the last
answer submits the attempt and the server scores it at once. Pages never receive the answer
key: templates get ``QualificationQuestion`` rows only through ``question_public``.
"""

import json

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.permissions import worker_required
from marketplace.task_types import task_type
from workers.eligibility import locked_projects
from workers.models import QualificationKind
from workers.selectors import workforce as selectors
from workers.services import qualification_attempts, qualification_grants
from workers.services.errors import WorkforceError

DRAWN_TYPES = ("spans", "bounding_boxes")


def question_public(question) -> dict:
    """What a page may know about a question: no answer key, no explanation."""
    return {
        "id": question.pk,
        "position": question.position,
        "template_type": question.template_type,
        "config": question.label_config,
        "data": question.data,
    }


def answer_from_post(template_type: str, post) -> object:
    """The answer as the task widget posts it (checkboxes repeat ``answer``)."""
    if template_type == "multi_label":
        return post.getlist("answer")
    raw = post.get("answer", "")
    if template_type == "rating":
        try:
            return int(raw)
        except ValueError:
            return raw
    if template_type in DRAWN_TYPES:
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


@worker_required
def qualification_list(request):
    statuses = [
        selectors.qualification_status_for_worker(worker=request.user, qualification=q)
        for q in selectors.qualification_list_for_worker()[:200]
    ]
    return render(
        request,
        "workers/qualifications/list.html",
        {"statuses": statuses, "locked": locked_projects(request.user)},
    )


@worker_required
def qualification_detail(request, qualification_id: int):
    qualification = selectors.qualification_get_for_worker(qualification_id=qualification_id)
    status = selectors.qualification_status_for_worker(
        worker=request.user, qualification=qualification
    )
    return render(
        request,
        "workers/qualifications/detail.html",
        {"qualification": qualification, "status": status},
    )


@require_POST
@worker_required
def qualification_start(request, qualification_id: int):
    qualification = selectors.qualification_get_for_worker(qualification_id=qualification_id)
    try:
        attempt = qualification_attempts.attempt_start(
            worker=request.user, qualification=qualification
        )
    except WorkforceError as error:
        messages.error(request, error.message)
        return redirect("workers:qualification_detail", qualification.pk)
    return redirect("workers:attempt_take", attempt.pk)


@require_POST
@worker_required
def qualification_request(request, qualification_id: int):
    qualification = selectors.qualification_get_for_worker(qualification_id=qualification_id)
    try:
        qualification_grants.qualification_request(worker=request.user, qualification=qualification)
    except WorkforceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"You now hold “{qualification.name}”.")
    return redirect("workers:qualification_detail", qualification.pk)


@worker_required
def attempt_take(request, attempt_id: int):
    attempt = selectors.attempt_get_for_worker(worker=request.user, attempt_id=attempt_id)
    if not attempt.is_open:
        return redirect("workers:attempt_result", attempt.pk)
    questions = list(attempt.qualification.questions.all())
    error = None
    if request.method == "POST":
        if "finish" in request.POST:
            qualification_attempts.attempt_submit(worker=request.user, attempt_id=attempt.pk)
            return redirect("workers:attempt_result", attempt.pk)
        question = next((q for q in questions if str(q.pk) == request.POST.get("question")), None)
        if question is not None:
            try:
                attempt = qualification_attempts.attempt_answer(
                    worker=request.user,
                    attempt_id=attempt.pk,
                    question_id=question.pk,
                    answer=answer_from_post(question.template_type, request.POST),
                )
            except WorkforceError as refused:
                error = refused.message
            else:
                if all(str(q.pk) in attempt.answers for q in questions):
                    qualification_attempts.attempt_submit(
                        worker=request.user, attempt_id=attempt.pk
                    )
                    return redirect("workers:attempt_result", attempt.pk)
                next_url = reverse("workers:attempt_take", args=[attempt.pk])
                if attempt.qualification.kind == QualificationKind.TRAINING:
                    next_url += f"?explained={question.pk}"
                return redirect(next_url)
    explained = request.GET.get("explained", "")
    feedback = (
        qualification_attempts.training_feedback(attempt=attempt, question_id=int(explained))
        if explained.isdigit()
        else None
    )
    unanswered = [q for q in questions if str(q.pk) not in attempt.answers]
    current = unanswered[0] if unanswered else questions[-1]
    # Spans and boxes have no form field: the workspace's widget controllers (workspace.js)
    # draw them and post the answer as JSON; the keys are the template's shortcuts.
    drawn = current.template_type in DRAWN_TYPES
    keys = task_type(current.template_type).shortcuts(current.label_config) if drawn else {}
    return render(
        request,
        "workers/qualifications/take.html",
        {
            "drawn": drawn,
            "shortcuts": json.dumps({str(key): str(value) for key, value in keys.items()}),
            "attempt": attempt,
            "question": question_public(current),
            "number": questions.index(current) + 1,
            "total": len(questions),
            "error": error,
            "feedback": feedback,
        },
    )


@worker_required
def attempt_result(request, attempt_id: int):
    attempt = selectors.attempt_get_for_worker(worker=request.user, attempt_id=attempt_id)
    if attempt.is_open:
        return redirect("workers:attempt_take", attempt.pk)
    feedback = []
    if (
        attempt.qualification.show_feedback
        or attempt.qualification.kind == QualificationKind.TRAINING
    ):
        feedback = [
            {
                "number": number,
                "text": question.data.get("text", "") if isinstance(question.data, dict) else "",
                "correct": bool(attempt.results.get(str(question.pk))),
                "explanation": question.explanation,
            }
            for number, question in enumerate(attempt.qualification.questions.all(), start=1)
        ]
    return render(
        request,
        "workers/qualifications/result.html",
        {"attempt": attempt, "qualification": attempt.qualification, "feedback": feedback},
    )
