"""Requester pages for results and worker quality, and the worker's own quality page."""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import requester_required, worker_required
from marketplace.aggregation import METHODS
from marketplace.exporting import FORMATS, formats_for
from marketplace.exporting.download import results_response
from marketplace.models import Project
from marketplace.selectors import projects as selectors
from marketplace.selectors.quality import (
    project_blocks_for_worker,
    project_budget_saved,
    quality_actions_for_project,
    quality_actions_for_worker,
    worker_stats_for_project,
)
from marketplace.services.aggregation import AggregationError, aggregation_method_set
from marketplace.services.quality import (
    QualityError,
    quality_settings_update,
    worker_block,
    worker_unblock,
)
from marketplace.tasks import aggregate_project

# --- The download (pages and API) -------------------------------------------------------------


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
        project=project,
        fmt=fmt,
        with_answers=request.GET.get("answers") == "1",
        include_rejected=request.GET.get("rejected") == "1",
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
