"""Staff pages: the staff console (the platform at a glance and links to every staff queue), the
workforce's audit log (read-only) and the skill-level thresholds.
Suspensions, qualification management and the worker pages are shared with requesters
(workers.views.workforce)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from accounts.models import RequesterAccount, User
from accounts.permissions import staff_required
from marketplace.models import Project
from workers.models import AuditAction, SkillLevel
from workers.selectors import workforce as selectors
from workers.selectors.stats import skill_levels_current, skill_levels_default
from workers.services.errors import WorkforceError
from workers.services.skill_levels import skill_levels_reset, skill_levels_set


@staff_required
def audit_log(request):
    worker = request.GET.get("worker", "")
    action = request.GET.get("action", "")
    entries = selectors.audit_list(
        worker_id=int(worker) if worker.isdigit() else None,
        action=action if action in AuditAction.values else "",
    )
    page = Paginator(entries, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "workers/staff/audit.html",
        {"page": page, "actions": AuditAction.choices, "action": action, "worker": worker},
    )


FIELDS = ("level", "min_approved", "min_gold_accuracy")


@staff_required
def skill_levels(request):
    """One row per level plus two blank rows to add levels; blank rows are ignored, a level
    is removed by blanking its row. Errors come back per row and field."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            if "reset" in request.POST:
                skill_levels_reset(actor=request.user)
                messages.success(request, "Skill levels are back to the defaults.")
                return redirect("workforce:staff_skill_levels")
            rows, positions = [], []
            for index in range(int(request.POST.get("rows", "0") or 0)):
                row = {field: request.POST.get(f"{field}_{index}", "").strip() for field in FIELDS}
                if any(row.values()):
                    rows.append(row)
                    positions.append(index)
            skill_levels_set(actor=request.user, levels=rows)
        except WorkforceError as error:
            # ``levels.<i>.<field>`` counts submitted non-blank rows: map back to form rows.
            for key, text in error.fields.items():
                parts = key.split(".")
                if len(parts) >= 2 and parts[1].isdigit():
                    parts[1] = str(positions[int(parts[1])])
                errors[".".join(parts)] = text
            messages.error(request, error.message)
            table = [
                {field: request.POST.get(f"{field}_{index}", "") for field in FIELDS}
                for index in range(int(request.POST.get("rows", "0") or 0))
            ]
        else:
            messages.success(request, "Skill levels saved.")
            return redirect("workforce:staff_skill_levels")
    else:
        table = [dict(zip(FIELDS, level, strict=True)) for level in skill_levels_current()]
        table += [dict.fromkeys(FIELDS, "") for _ in range(2)]
    for index, row in enumerate(table):
        row["index"] = index
        row["errors"] = [
            f"{field.replace('_', ' ')}: {' '.join(errors[f'levels.{index}.{field}'])}"
            for field in FIELDS
            if f"levels.{index}.{field}" in errors
        ]
    return render(
        request,
        "workers/staff/skill_levels.html",
        {
            "table": table,
            "errors": errors.get("levels", []),
            "custom": SkillLevel.objects.exists(),
            "defaults": skill_levels_default(),
        },
    )


@staff_required
def staff_console(request):
    context = {
        "user_counts": {
            "requesters": User.objects.filter(role="requester").count(),
            "workers": User.objects.filter(role="worker").count(),
            "staff": User.objects.filter(is_staff=True).count(),
        },
        "account_count": RequesterAccount.objects.count(),
        "project_count": Project.objects.count(),
        "recent_users": User.objects.order_by("-date_joined")[:10],
    }
    return render(request, "workers/staff_console.html", context)
