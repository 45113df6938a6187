"""Requester and staff pages that manage qualifications, project requirements and workers.

Requesters manage their organisation's qualification types and see workers who worked for or
tested with them; staff manage platform-wide types and see everyone. The same views serve both,
under /requester/workforce/ and /staff/workforce/; ``ns`` tells templates which URL names to use.
Tenancy is in workers.selectors.workforce (other organisations' rows are 404).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_POST

from workers.forms import (
    GrantByEmailForm,
    GrantForm,
    MessageForm,
    QualificationTypeForm,
    QuestionForm,
    ReasonForm,
    RequirementForm,
    SuspendForm,
)
from workers.selectors import workforce as selectors
from workers.selectors.quality import worker_page_with_quality
from workers.services import (
    moderation,
    qualification_authoring,
    qualification_grants,
    requirements,
)
from workers.services.errors import WorkforceError
from workers.views.common import _ns, _redirect, _show_errors, manager_required

# --- Qualification types ----------------------------------------------------------------------


@manager_required
def qualification_index(request):
    form = QualificationTypeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            qualification = qualification_authoring.qualification_type_create(
                actor=request.user, **form.cleaned_data
            )
        except WorkforceError as error:
            _show_errors(request, error)
        else:
            messages.success(request, f"Created “{qualification.name}”. Add its questions.")
            return _redirect(request, "qualification_detail", qualification.pk)
    return render(
        request,
        "workers/requester/qualifications.html",
        {
            "ns": _ns(request),
            "qualifications": selectors.qualification_list_manageable(user=request.user),
            "projects": selectors.project_list_manageable(user=request.user)[:100],
            "form": form,
        },
    )


@manager_required
def qualification_detail(request, qualification_id: int):
    qualification = selectors.qualification_get_manageable(
        user=request.user, qualification_id=qualification_id
    )
    settings_form = QualificationTypeForm(instance=qualification, prefix="settings")
    question_form = QuestionForm(prefix="question", initial={"template_type": "classification"})
    grant_form = GrantByEmailForm(prefix="grant")
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "settings":
                settings_form = QualificationTypeForm(
                    request.POST, instance=qualification, prefix="settings"
                )
                if settings_form.is_valid():
                    qualification_authoring.qualification_type_update(
                        actor=request.user,
                        qualification=qualification,
                        **settings_form.cleaned_data,
                    )
                    messages.success(request, "Saved.")
                    return _redirect(request, "qualification_detail", qualification.pk)
            elif action == "question":
                question_form = QuestionForm(request.POST, prefix="question")
                if question_form.is_valid():
                    data = question_form.cleaned_data
                    qualification_authoring.qualification_question_create(
                        actor=request.user,
                        qualification=qualification,
                        template_type=data["template_type"],
                        label_config=data["label_config"],
                        data=data["data"],
                        answer_key=data["answer_key"],
                        explanation=data["explanation"],
                    )
                    messages.success(request, "Question added.")
                    return _redirect(request, "qualification_detail", qualification.pk)
            elif action == "delete_question":
                question = qualification.questions.filter(pk=request.POST.get("question")).first()
                if question is not None:
                    qualification_authoring.qualification_question_delete(
                        actor=request.user, question=question
                    )
                return _redirect(request, "qualification_detail", qualification.pk)
            elif action == "grant":
                grant_form = GrantByEmailForm(request.POST, prefix="grant")
                if grant_form.is_valid():
                    data = grant_form.cleaned_data
                    worker = (
                        selectors.worker_list_for_manager(user=request.user)
                        .filter(email__iexact=data["email"])
                        .first()
                    )
                    if worker is None:
                        grant_form.add_error(
                            "email", "No worker with this email has worked for you."
                        )
                    else:
                        qualification_grants.qualification_grant(
                            actor=request.user,
                            worker=worker,
                            qualification=qualification,
                            value=data["value"],
                            reason=data["reason"],
                        )
                        messages.success(request, f"Granted to {worker.email}.")
                        return _redirect(request, "qualification_detail", qualification.pk)
            elif action == "revoke":
                worker = selectors.worker_get_for_manager(
                    user=request.user, worker_id=int(request.POST.get("worker", 0))
                )
                qualification_grants.qualification_revoke(
                    actor=request.user,
                    worker=worker,
                    qualification=qualification,
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, f"Revoked from {worker.email}.")
                return _redirect(request, "qualification_detail", qualification.pk)
        except WorkforceError as error:
            _show_errors(request, error)
    return render(
        request,
        "workers/requester/qualification_detail.html",
        {
            "ns": _ns(request),
            "qualification": qualification,
            "questions": qualification.questions.all(),
            "grants": selectors.grant_list_for_qualification(qualification=qualification),
            "settings_form": settings_form,
            "question_form": question_form,
            "grant_form": grant_form,
        },
    )


# --- Project requirements ---------------------------------------------------------------------


@manager_required
def project_requirements(request, project_id: int):
    project = selectors.project_get_manageable(user=request.user, project_id=project_id)
    usable = selectors.qualification_list_usable_for_requirements(user=request.user)
    form = RequirementForm(request.POST or None, qualifications=usable)
    if request.method == "POST":
        if "delete" in request.POST:
            requirement = selectors.requirement_list_for_project(project=project).filter(
                pk=request.POST.get("delete")
            )
            if requirement.exists():
                requirements.requirement_delete(requirement=requirement.get())
            return _redirect(request, "project_requirements", project.pk)
        if form.is_valid():
            try:
                requirements.requirement_create(project=project, **form.cleaned_data)
            except WorkforceError as error:
                _show_errors(request, error)
            else:
                messages.success(request, "Requirement added.")
                return _redirect(request, "project_requirements", project.pk)
    return render(
        request,
        "workers/requester/requirements.html",
        {
            "ns": _ns(request),
            "project": project,
            "requirements": selectors.requirement_list_for_project(project=project),
            "form": form,
        },
    )


# --- Workers ----------------------------------------------------------------------------------


@manager_required
def worker_list(request):
    """Workers with their quality on the manager's projects (gold accuracy with its interval,
    agreement, median time, open flags, blocks), 50 a page; see workers.selectors.quality."""
    workers = selectors.worker_scope_for_manager(user=request.user)
    query = request.GET.get("q", "").strip()
    if query:
        workers = workers.filter(email__icontains=query)
    page = Paginator(workers.values_list("pk", flat=True), 50).get_page(request.GET.get("page"))
    page.object_list = worker_page_with_quality(user=request.user, worker_ids=list(page))
    return render(
        request,
        "workers/requester/workers.html",
        {"ns": _ns(request), "page": page, "workers": page.object_list, "query": query},
    )


@manager_required
def worker_detail(request, worker_id: int):
    user = request.user
    worker = selectors.worker_get_for_manager(user=user, worker_id=worker_id)
    manageable = selectors.qualification_list_manageable(user=user)
    forms = {
        "block": ReasonForm(prefix="block"),
        "unblock": ReasonForm(prefix="unblock"),
        "suspend": SuspendForm(prefix="suspend"),
        "unsuspend": ReasonForm(prefix="unsuspend"),
        "message": MessageForm(prefix="message"),
        "grant": GrantForm(prefix="grant", qualifications=manageable),
    }
    if request.method == "POST":
        action = request.POST.get("action", "")
        form_class = {
            "block": ReasonForm,
            "unblock": ReasonForm,
            "suspend": SuspendForm,
            "unsuspend": ReasonForm,
            "message": MessageForm,
        }.get(action)
        if action == "grant":
            form = GrantForm(request.POST, prefix="grant", qualifications=manageable)
        elif form_class is not None:
            form = form_class(request.POST, prefix=action)
        else:
            return _redirect(request, "worker_detail", worker.pk)
        forms[action] = form
        if form.is_valid():
            data = form.cleaned_data
            try:
                if action == "block":
                    moderation.requester_block(actor=user, worker=worker, reason=data["reason"])
                elif action == "unblock":
                    moderation.requester_unblock(actor=user, worker=worker, reason=data["reason"])
                elif action == "suspend":
                    moderation.worker_suspend(
                        actor=user,
                        worker=worker,
                        reason=data["reason"],
                        appeal_note=data["appeal_note"],
                    )
                elif action == "unsuspend":
                    moderation.worker_unsuspend(actor=user, worker=worker, reason=data["reason"])
                elif action == "message":
                    moderation.worker_message(
                        actor=user, worker=worker, subject=data["subject"], text=data["text"]
                    )
                elif action == "grant":
                    qualification_grants.qualification_grant(
                        actor=user,
                        worker=worker,
                        qualification=data["qualification"],
                        value=data["value"],
                        reason=data["reason"],
                    )
            except WorkforceError as error:
                _show_errors(request, error)
            else:
                messages.success(request, "Done.")
                return _redirect(request, "worker_detail", worker.pk)
    return render(
        request,
        "workers/requester/worker_detail.html",
        {
            "ns": _ns(request),
            "worker": worker,
            "answers": selectors.worker_assignments_for_manager(user=user, worker=worker)[:100],
            "grants": selectors.worker_grants_for_manager(user=user, worker=worker),
            "suspension": selectors.suspension_active(worker=worker),
            "audit": selectors.audit_list(worker_id=worker.pk)[:50] if user.is_staff else [],
            "forms": forms,
        },
    )


@require_POST
@manager_required
def worker_revoke(request, worker_id: int, qualification_id: int):
    worker = selectors.worker_get_for_manager(user=request.user, worker_id=worker_id)
    qualification = selectors.qualification_get_manageable(
        user=request.user, qualification_id=qualification_id
    )
    try:
        qualification_grants.qualification_revoke(
            actor=request.user,
            worker=worker,
            qualification=qualification,
            reason=request.POST.get("reason", ""),
        )
    except WorkforceError as error:
        _show_errors(request, error)
    return _redirect(request, "worker_detail", worker.pk)
