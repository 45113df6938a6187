"""The worker's pages: the task feed and the workspace where tasks are answered.

The workspace page is a shell; its script claims through ``task_next`` (an HTML fragment, so
the one widget template renders every task) and answers, skips, returns and extends through the
JSON API (/api/v1/assignments/...). See docs/readme-workspace.md.
"""

from django.http import Http404, HttpResponseNotAllowed
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse

from accounts.permissions import worker_required
from marketplace.markdown import render_markdown
from marketplace.models import TemplateType
from marketplace.services.assignments import ProjectNotAvailable, assignment_claim
from marketplace.task_types import task_type
from workers.selectors import feed as selectors

SKIP_KEY = "s"


@worker_required
def task_feed(request):
    entries = selectors.task_feed_for_worker(worker=request.user)
    return render(request, "workers/task_feed.html", {"entries": entries})


def _shortcuts(project) -> dict[str, str]:
    """Key -> the answer value it picks, as JSON (rating points become strings)."""
    found = task_type(project.template_type).shortcuts(project.label_config)
    return {str(key): str(value) for key, value in found.items()}


def _key_legend(project, shortcuts: dict[str, str]) -> list[tuple[str, str]]:
    """(key, what it does) pairs for the help line; a rating scale is one entry."""
    if project.template_type == TemplateType.RATING and shortcuts:
        keys = list(shortcuts)
        return [(f"{keys[0]} to {keys[-1]}", "rating")]
    return list(shortcuts.items())


@worker_required
def workspace(request, project_id: int):
    project = selectors.project_get_for_work(project_id=project_id)
    if project is None:
        raise Http404("This project is not open for work.")
    shortcuts = _shortcuts(project)
    skip_key = "" if SKIP_KEY in shortcuts else SKIP_KEY
    api_base = reverse("api:assignment_submit", args=[0]).removesuffix("0/submit/")
    settings = {
        "project": project.pk,
        "templateType": project.template_type,
        "nextUrl": reverse("workers:task_next", args=[project.pk]),
        "feedUrl": reverse("workers:task_feed"),
        "apiBase": api_base,
        "csrfToken": get_token(request),
        "shortcuts": shortcuts,
        "skipKey": skip_key,
    }
    return render(
        request,
        "workers/workspace.html",
        {
            "project": project,
            "instructions": render_markdown(project.instructions),
            "settings": settings,
            "key_legend": _key_legend(project, shortcuts),
            "skip_key": skip_key,
        },
    )


@worker_required
def task_next(request, project_id: int):
    """POST (from the workspace script): the worker's current task in this project, or a newly
    claimed one, as an HTML fragment. Resuming first means a reload never strands a slot."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    project = selectors.project_get_for_work(project_id=project_id)
    context = {"project": project, "state": "unavailable"}
    if project is not None:
        live = selectors.assignment_live_for_worker(worker=request.user, project=project)
        if live is not None:
            context.update(
                state="task", assignment=live.pk, expires_at=live.expires_at, data=live.task.data
            )
        else:
            try:
                claimed = assignment_claim(worker=request.user, project=project.pk)
            except ProjectNotAvailable:
                claimed = None
                context["state"] = "unavailable"
            else:
                context["state"] = "done"
            if claimed is not None:
                context.update(
                    state="task",
                    assignment=claimed.assignment_id,
                    expires_at=claimed.expires_at,
                    data=claimed.data,
                )
    return render(request, "workers/_task.html", context)
