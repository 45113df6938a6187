"""Review queue of quality-rule flags and blocks (staff: the platform; requesters: their
projects), one click per decision. With htmx the reviewed row is swapped in place; without it
the page redirects back to the same filters. Rules: workers.services.quality_review."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from workers.selectors import quality as selectors
from workers.services.errors import WorkforceError
from workers.services.quality_review import quality_action_review
from workers.views.common import _ns, manager_required

# One button per outcome: "<confirm|dismiss>[:<escalation>]".
OUTCOMES = {
    "confirm": (True, ""),
    "dismiss": (False, ""),
    "confirm:project_block": (True, "project_block"),
    "confirm:suspension": (True, "suspension"),
}


@manager_required
def quality_review_list(request):
    filters = selectors.QualityActionFilters.from_query(request.GET)
    actions = selectors.quality_action_list_reviewable(user=request.user, filters=filters)
    page = selectors.keyset_page(actions, cursor=request.GET.get("cursor", ""), size=50)
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(
        request,
        "workers/quality/review_list.html",
        {
            "ns": _ns(request),
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "kinds": selectors.KIND_CHOICES,
            "rules": selectors.RULE_CHOICES,
            "statuses": selectors.REVIEW_STATUSES,
        },
    )


@require_POST
@manager_required
def quality_review(request, quality_action_id: int):
    # 404 for another organisation's rows, before anything else.
    selectors.quality_action_get_reviewable(user=request.user, quality_action_id=quality_action_id)
    confirm, escalate_to = OUTCOMES.get(request.POST.get("outcome", ""), (None, ""))
    error = None
    if confirm is None:
        error = "Choose an outcome."
    else:
        try:
            quality_action_review(
                actor=request.user,
                quality_action_id=quality_action_id,
                confirm=confirm,
                escalate_to=escalate_to,
                reason=request.POST.get("reason", ""),
            )
        except WorkforceError as refused:
            details = "; ".join(f"{field}: {' '.join(m)}" for field, m in refused.fields.items())
            error = f"{refused.message} {details}".strip()
    if request.htmx:
        action = selectors.quality_action_get_reviewable(
            user=request.user, quality_action_id=quality_action_id
        )
        return render(
            request,
            "workers/quality/_review_row.html",
            {"ns": _ns(request), "action": action, "error": error},
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, "Review recorded.")
    # Back to the same filters; only a query string is accepted (no open redirect).
    back = request.POST.get("next", "")
    return redirect(reverse(_ns(request) + "quality") + (back if back.startswith("?") else ""))
