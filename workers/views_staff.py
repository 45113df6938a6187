"""Staff pages of the workforce: the audit log (read-only). Suspensions, qualification
management and the worker pages are shared with requesters (workers.views_requester)."""

from django.core.paginator import Paginator
from django.shortcuts import render

from accounts.permissions import staff_required
from workers import selectors_workforce as selectors
from workers.models import AuditAction


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
