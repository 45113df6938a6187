"""Requester pages for answer review (one by one or in bulk) and bonuses. Thin: validate, call a
service, render."""

import uuid

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import requester_required
from marketplace.forms import BonusForm, BulkReviewForm
from marketplace.selectors import reviews as selectors
from marketplace.selectors.projects import project_get_for_requester
from marketplace.services.bonuses import BonusError, bonus_grant
from marketplace.services.escrow import InsufficientFundsError
from marketplace.services.reviews import (
    ReviewError,
    assignment_approve,
    assignment_reject,
    assignments_review,
)

REVIEW_PAGE_SIZE = 100


@requester_required
def review_queue(request, project_id):
    project = project_get_for_requester(user=request.user, project_id=project_id)
    pending = selectors.review_queue(project=project)
    if request.method == "POST":
        form = BulkReviewForm(request.POST, assignment_ids=pending.values_list("id", flat=True))
        if form.is_valid():
            approve = form.cleaned_data["action"] == "approve"
            try:
                counts = assignments_review(
                    project=project,
                    assignment_ids=form.cleaned_data["assignment_ids"],
                    approve=approve,
                    reason=form.cleaned_data["reason"],
                    reviewer=request.user,
                )
            except InsufficientFundsError as error:
                messages.error(request, str(error))
            else:
                verb = "Approved" if approve else "Rejected"
                refused = f", {counts['refused']} refused" if counts["refused"] else ""
                messages.success(request, f"{verb} {counts['reviewed']}{refused}.")
            return redirect("marketplace:review_queue", project_id=project.pk)
        for problems in form.errors.values():
            for problem in problems:
                messages.error(request, problem)
    return render(
        request,
        "marketplace/review_queue.html",
        {
            "project": project,
            "pending": pending[:REVIEW_PAGE_SIZE],
            "total": pending.count(),
            "bonus_form": BonusForm(
                workers=_project_workers(project), initial={"client_key": uuid.uuid4().hex}
            ),
        },
    )


def _project_workers(project):
    return User.objects.filter(assignments__project=project).distinct().order_by("email")


@require_POST
@requester_required
def bonus_new(request, project_id):
    project = project_get_for_requester(user=request.user, project_id=project_id)
    workers = _project_workers(project)
    form = BonusForm(request.POST, workers=workers)
    if form.is_valid():
        try:
            bonus = bonus_grant(
                granted_by=request.user,
                worker=workers.get(pk=form.cleaned_data["worker"]),
                amount_cents=form.cleaned_data["amount"],
                message=form.cleaned_data["message"],
                client_key=form.cleaned_data["client_key"],
                project=project,
            )
        except (BonusError, InsufficientFundsError) as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Bonus of {bonus.amount_cents / 100:.2f} USD paid.")
    else:
        for problems in form.errors.values():
            for problem in problems:
                messages.error(request, problem)
    return redirect("marketplace:review_queue", project_id=project.pk)


@require_POST
@requester_required
def review_one(request, assignment_id, action):
    assignment = selectors.assignment_get_for_requester(
        user=request.user, assignment_id=assignment_id
    )
    try:
        if action == "approve":
            assignment_approve(assignment_id=assignment.pk, project=assignment.project)
            messages.success(request, f"Answer {assignment.pk} approved and paid.")
        else:
            assignment_reject(
                assignment_id=assignment.pk,
                project=assignment.project,
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, f"Answer {assignment.pk} rejected.")
    except (ReviewError, InsufficientFundsError) as error:
        messages.error(request, str(error))
    return redirect("marketplace:review_queue", project_id=assignment.project_id)
