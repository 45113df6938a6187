"""The worker's dashboard: qualifications held, attempts, assignment history with rejection
reasons, notifications, track record, and the projects they are locked out of."""

from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.permissions import worker_required
from workers.eligibility import locked_projects
from workers.selectors import workforce as selectors
from workers.selectors.stats import worker_stats
from workers.services.notifications import notification_mark_read


@worker_required
def dashboard(request):
    worker = request.user
    return render(
        request,
        "workers/dashboard.html",
        {
            "stats": worker_stats(worker_id=worker.pk),
            "grants": selectors.grant_list_for_worker(worker=worker),
            "attempts": selectors.attempt_list_for_worker(worker=worker)[:20],
            "history": selectors.assignment_history_for_worker(worker=worker)[:50],
            "notifications": selectors.notification_list_for_worker(worker=worker)[:30],
            "locked": locked_projects(worker),
            "now": timezone.now(),
        },
    )


@require_POST
@worker_required
def notifications_read(request):
    notification_mark_read(worker=request.user)
    return redirect("workers:dashboard")
