"""Requester pages for results and worker quality, the worker's own quality page, and the
streamed results download the API shares (``results_response``)."""

from collections import defaultdict
from collections.abc import Iterator

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import requester_required, worker_required
from marketplace.aggregation import METHODS
from marketplace.exporting import FORMATS, RESULT_FIELDS, formats_for
from marketplace.models import Assignment, AssignmentStatus, Project, Task
from marketplace.selectors import projects as selectors
from marketplace.services.aggregation import AggregationError, aggregation_method_set
from marketplace.services.quality import (
    QualityError,
    project_blocks_for_worker,
    project_budget_saved,
    quality_actions_for_project,
    quality_actions_for_worker,
    quality_settings_update,
    worker_block,
    worker_stats_for_project,
    worker_unblock,
)
from marketplace.tasks import aggregate_project

EXPORT_CHUNK = 2_000


# --- The download (pages and API) -------------------------------------------------------------


def _answers_of(task_ids: list[int]) -> dict[int, list[dict]]:
    by_task: dict[int, list[dict]] = defaultdict(list)
    rows = (
        Assignment.objects.filter(task_id__in=task_ids, status=AssignmentStatus.SUBMITTED)
        .order_by("task_id", "submitted_at", "id")
        .values_list("task_id", "worker_id", "answer", "review_status", "duration_ms")
    )
    for task_id, worker_id, answer, review_status, duration_ms in rows:
        by_task[task_id].append(
            {
                "worker_id": worker_id,
                "answer": answer,
                "review_status": review_status,
                "duration_ms": duration_ms,
            }
        )
    return by_task


def results_records(
    *, project: Project, with_answers: bool, batch_size: int | None = None
) -> Iterator[dict]:
    """One record per regular task in id order, read in keyset batches (``id > last id`` on
    the task_project_id index): each batch is one short query, so memory stays flat at a
    million tasks and nothing stays open on the database while a slow client reads. Each
    batch's answers come in one query. ``batch_size`` defaults to the RESULTS_EXPORT_BATCH
    setting, else EXPORT_CHUNK."""
    batch_size = batch_size or getattr(settings, "RESULTS_EXPORT_BATCH", None) or EXPORT_CHUNK
    tasks = (
        Task.objects.filter(project=project, is_gold=False)
        .order_by("id")
        .values_list(
            "id",
            "external_id",
            "data",
            "final_label",
            "confidence",
            "answers_count",
            "aggregation_method",
        )
    )
    last_id = 0
    while batch := list(tasks.filter(id__gt=last_id)[:batch_size]):
        answers = _answers_of([row[0] for row in batch]) if with_answers else {}
        for row in batch:
            record = dict(zip(RESULT_FIELDS, row, strict=True))
            if with_answers:
                record["answers"] = answers.get(row[0], [])
            yield record
        if len(batch) < batch_size:
            break
        last_id = batch[-1][0]


def results_response(*, project: Project, fmt: str, with_answers: bool) -> StreamingHttpResponse:
    """The streamed file in ``fmt``, a key of ``marketplace.exporting.FORMATS`` that fits the
    project's template type (callers check both). ``with_answers`` applies to csv and jsonl."""
    export = FORMATS[fmt]
    with_answers = with_answers and export.raw_answers
    records = results_records(project=project, with_answers=with_answers)
    body = export.write(records, project=project, with_answers=with_answers)
    response = StreamingHttpResponse(body, content_type=export.content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="results-{project.pk}.{export.file_suffix}"'
    )
    return response


# --- Pages ------------------------------------------------------------------------------------


class QualitySettingsForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = [
            "block_gold_accuracy_below",
            "block_min_gold_answers",
            "block_discards_answers",
            "fast_answer_seconds",
            "fast_answer_count",
            "constant_answer_run",
            "constant_gold_accuracy_below",
        ]
        labels = {
            "block_gold_accuracy_below": "Block below gold accuracy (0 to 1, lower bound)",
            "block_min_gold_answers": "…after at least this many gold answers",
            "block_discards_answers": "Discard a blocked worker's pending answers",
            "fast_answer_seconds": "Flag answers faster than (seconds)",
            "fast_answer_count": "…on this many tasks",
            "constant_answer_run": "Flag the same answer this many times in a row",
            "constant_gold_accuracy_below": "…with gold accuracy below (0 to 1)",
        }


class AggregateForm(forms.Form):
    method = forms.ChoiceField(choices=[(key, key) for key in METHODS])


@requester_required
def project_results(request, project_id):
    project = selectors.project_get_for_requester(user=request.user, project_id=project_id)
    context = {
        "project": project,
        "budget": project_budget_saved(project=project),
        "form": AggregateForm(initial={"method": project.aggregation_method}),
        "formats": formats_for(project.template_type),
        "preview": list(
            selectors.task_list_for_project(project=project)
            .filter(is_gold=False, final_label__isnull=False)
            .order_by("confidence", "id")[:20]
        ),
    }
    return render(request, "marketplace/project_results.html", context)


@requester_required
def project_results_download(request, project_id):
    project = selectors.project_get_for_requester(user=request.user, project_id=project_id)
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        raise Http404(f"Results come as {', '.join(FORMATS)}.")
    if refusal := FORMATS[fmt].refusal(project.template_type):
        return HttpResponseBadRequest(refusal, content_type="text/plain; charset=utf-8")
    return results_response(
        project=project, fmt=fmt, with_answers=request.GET.get("answers") == "1"
    )


@requester_required
@require_POST
def project_aggregate(request, project_id):
    project = selectors.project_get_for_requester(user=request.user, project_id=project_id)
    form = AggregateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose an aggregation method.")
        return redirect("marketplace:project_results", project_id=project.pk)
    try:
        aggregation_method_set(project=project, method=form.cleaned_data["method"])
    except AggregationError as error:
        messages.error(request, str(error))
    else:
        aggregate_project.delay(project.pk)
        messages.success(request, f"Aggregation with {project.aggregation_method} started.")
    return redirect("marketplace:project_results", project_id=project.pk)


@requester_required
def project_workers(request, project_id):
    project = selectors.project_get_for_requester(user=request.user, project_id=project_id)
    form = QualitySettingsForm(request.POST or None, instance=project)
    if request.method == "POST" and form.is_valid():
        try:
            quality_settings_update(
                project=project, **{name: form.cleaned_data[name] for name in form.Meta.fields}
            )
        except QualityError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Quality rules saved.")
            return redirect("marketplace:project_workers", project_id=project.pk)
    context = {
        "project": project,
        "stats": worker_stats_for_project(project=project)[:500],
        "actions": quality_actions_for_project(project=project)[:50],
        "form": form,
    }
    return render(request, "marketplace/project_workers.html", context)


@requester_required
@require_POST
def project_worker_block(request, project_id, worker_id):
    project = selectors.project_get_for_requester(user=request.user, project_id=project_id)
    worker = get_object_or_404(
        User.objects.filter(assignments__project=project).distinct(), pk=worker_id
    )
    try:
        if request.POST.get("unblock"):
            worker_unblock(project=project, worker=worker, by=request.user)
            messages.success(request, "Block lifted.")
        else:
            worker_block(
                project=project,
                worker=worker,
                reason=request.POST.get("reason", ""),
                by=request.user,
            )
            messages.success(request, "Worker blocked from this project.")
    except QualityError as error:
        messages.error(request, str(error))
    return redirect("marketplace:project_workers", project_id=project.pk)


@worker_required
def worker_quality(request):
    """The worker's side: blocks and flags with their reasons."""
    context = {
        "blocks": project_blocks_for_worker(worker=request.user),
        "actions": quality_actions_for_worker(worker=request.user)[:100],
    }
    return render(request, "marketplace/worker_quality.html", context)
