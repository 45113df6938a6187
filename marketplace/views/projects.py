"""Requester pages: dashboard, the project wizard, the project page, imports and tasks."""

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import requester_required
from marketplace.forms import TEMPLATE_HELP, EstimateForm, ImportForm, ProjectForm
from marketplace.markdown import render_markdown
from marketplace.models import ProjectStatus, TemplateType
from marketplace.pricing import estimate_cost
from marketplace.selectors import projects as selectors
from marketplace.services.imports import ImportRefusedError, import_start
from marketplace.services.projects import (
    EDITABLE_FIELDS,
    EDITABLE_WHEN_CLOSED,
    EDITABLE_WHILE_LIVE,
    LIFECYCLE_ACTIONS,
    ProjectError,
    actions_available,
    project_create,
    project_update,
    publish_problems,
)
from marketplace.task_types import ValidationProblem, task_type

TASKS_PAGE_SIZE = 50
# Form fields that carry each project field, for locking the ones a live project cannot change.
FORM_FIELDS_OF = {
    "label_config": [
        "labels",
        "allow_empty",
        "allow_overlap",
        "allow_tie",
        "question",
        "rating_min",
        "rating_max",
        "max_length",
    ],
    "gold_ratio": ["gold_percent"],
    "time_limit_seconds": ["time_limit_minutes"],
    "auto_approve_seconds": ["auto_approve_hours"],
}


def _add_errors(form, error: ProjectError) -> None:
    for field, problems in error.errors.items():
        target = field if field in form.fields else None
        if field == "label_config":
            target = "labels"
        for problem in problems:
            form.add_error(target, problem)
    if not error.errors:
        form.add_error(None, str(error))


@requester_required
def requester_dashboard(request):
    projects = list(selectors.project_list_for_requester(user=request.user))
    rows = [(project, selectors.project_progress(project=project)) for project in projects]
    return render(request, "marketplace/requester_dashboard.html", {"rows": rows})


@requester_required
def project_new(request):
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project = project_create(
                account=request.user.requester_account,
                created_by=request.user,
                **form.project_fields(),
            )
        except ProjectError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Project created as a draft. Upload its data next.")
            return redirect("marketplace:project_detail", project_id=project.pk)
    return render(
        request,
        "marketplace/project_form.html",
        {"form": form, "template_help": TEMPLATE_HELP, "editing": None},
    )


@requester_required
def project_edit(request, project_id):
    project = selectors.project_get_for_requester(user=request.user, project_id=project_id)
    editable = {
        ProjectStatus.DRAFT: EDITABLE_FIELDS,
        ProjectStatus.ACTIVE: EDITABLE_WHILE_LIVE,
        ProjectStatus.PAUSED: EDITABLE_WHILE_LIVE,
    }.get(project.status, EDITABLE_WHEN_CLOSED)
    form = ProjectForm(request.POST or None, initial=ProjectForm.initial_for(project))
    for name in EDITABLE_FIELDS - editable:
        for field in FORM_FIELDS_OF.get(name, [name]):
            form.fields[field].disabled = True
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.project_fields().items() if k in editable}
        try:
            project_update(project=project, **fields)
        except ProjectError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Project saved.")
            return redirect("marketplace:project_detail", project_id=project.pk)
    return render(
        request,
        "marketplace/project_form.html",
        {"form": form, "template_help": TEMPLATE_HELP, "editing": project},
    )


@requester_required
def project_preview(request):
    """htmx: what a worker will see, from the wizard's current (unsaved) inputs."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = ProjectForm(request.POST)
    form.is_valid()  # a partial form still previews; errors show in the wizard itself
    kind = form.cleaned_data.get("template_type") or TemplateType.CLASSIFICATION
    problems, config = [], {}
    try:
        config = task_type(kind).clean_config(form.label_config() if form.cleaned_data else {})
    except ValidationProblem as problem:
        problems = [f"{item['field']}: {item['message']}" for item in problem.errors]
    data = task_type(kind).example_data(config) if not problems else {}
    return render(
        request,
        "marketplace/_worker_preview.html",
        {
            "title": form.cleaned_data.get("title") or "Untitled project",
            "instructions": render_markdown(request.POST.get("instructions", "")),
            "template_type": kind,
            "config": config,
            "data": data,
            "problems": problems,
        },
    )


@requester_required
def project_estimate(request):
    """htmx: the cost of the job as configured, for a number of tasks."""
    form = EstimateForm(request.POST or request.GET)
    estimate = None
    if form.is_valid():
        estimate = estimate_cost(
            tasks=form.cleaned_data["tasks"],
            overlap_max=form.cleaned_data["overlap_max"],
            reward_cents=form.cleaned_data["reward_cents"],
            gold_ratio=form.cleaned_data["gold_percent"] / 100,
        )
    return render(request, "marketplace/_estimate.html", {"form": form, "estimate": estimate})


@requester_required
def project_detail(request, project_id):
    project = selectors.project_get_for_requester(user=request.user, project_id=project_id)
    progress = selectors.project_progress(project=project)
    estimate = estimate_cost(
        tasks=progress.regular_tasks,
        overlap_max=project.overlap_max,
        reward_cents=project.reward_cents,
        gold_ratio=project.gold_ratio,
    )
    context = {
        "project": project,
        "progress": progress,
        "estimate": estimate,
        "actions": actions_available(project),
        "publish_problems": publish_problems(project)
        if project.status == ProjectStatus.DRAFT
        else [],
        "imports": selectors.import_batch_list_for_project(project=project)[:10],
        "import_form": ImportForm(),
        "instructions": render_markdown(project.instructions),
        "can_import": project.status
        in (ProjectStatus.DRAFT, ProjectStatus.ACTIVE, ProjectStatus.PAUSED),
        "input_fields": task_type(project.template_type).input_fields,
    }
    return render(request, "marketplace/project_detail.html", context)


@requester_required
@require_POST
def project_action(request, project_id, action):
    project = selectors.project_get_for_requester(user=request.user, project_id=project_id)
    if action not in LIFECYCLE_ACTIONS:
        raise Http404
    try:
        LIFECYCLE_ACTIONS[action](project=project)
    except ProjectError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Project {action}d." if action != "publish" else "Published.")
    return redirect("marketplace:project_detail", project_id=project.pk)


@requester_required
def project_tasks(request, project_id):
    """Keyset pagination (``?after=<task id>``): as fast on page 20,000 as on page 1."""
    project = selectors.project_get_for_requester(user=request.user, project_id=project_id)
    tasks = selectors.task_list_for_project(project=project)
    after = request.GET.get("after", "")
    if after.isdigit():
        tasks = tasks.filter(id__gt=int(after))
    if request.GET.get("gold") in ("0", "1"):
        tasks = tasks.filter(is_gold=request.GET["gold"] == "1")
    page = list(tasks[: TASKS_PAGE_SIZE + 1])
    context = {
        "project": project,
        "tasks": page[:TASKS_PAGE_SIZE],
        "next_after": page[TASKS_PAGE_SIZE - 1].id if len(page) > TASKS_PAGE_SIZE else None,
        "gold_filter": request.GET.get("gold", ""),
    }
    return render(request, "marketplace/project_tasks.html", context)


@requester_required
@require_POST
def import_upload(request, project_id):
    project = selectors.project_get_for_requester(user=request.user, project_id=project_id)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a CSV or JSONL file to upload.")
        return redirect("marketplace:project_detail", project_id=project.pk)
    try:
        batch = import_start(
            project=project,
            uploaded_by=request.user,
            upload=form.cleaned_data["file"],
            mode=form.cleaned_data["mode"],
            gold_only=form.cleaned_data["gold_only"],
        )
    except ImportRefusedError as error:
        messages.error(request, str(error))
        return redirect("marketplace:project_detail", project_id=project.pk)
    return redirect("marketplace:import_detail", batch_id=batch.pk)


@requester_required
def import_detail(request, batch_id):
    batch = selectors.import_batch_get_for_requester(user=request.user, batch_id=batch_id)
    template = "marketplace/_import_status.html" if request.htmx else "marketplace/import.html"
    return render(request, template, {"batch": batch, "project": batch.project})


@requester_required
def import_rejected(request, batch_id):
    batch = selectors.import_batch_get_for_requester(user=request.user, batch_id=batch_id)
    if not batch.rejected_file:
        raise Http404("This import kept no rejected rows.")
    return FileResponse(
        batch.rejected_file.open("rb"),
        as_attachment=True,
        filename=f"rejected-rows-{batch.pk}.csv",
    )


def file_formats(request):
    """The import file formats (docs/file-formats.md), readable without leaving the app."""
    path = settings.BASE_DIR / "docs" / "file-formats.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "No format notes found."
    return render(request, "marketplace/file_formats.html", {"body": render_markdown(text)})
