from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from accounts.models import RequesterAccount, User
from accounts.permissions import staff_required
from marketplace.models import Project


def landing(request):
    if request.user.is_authenticated:
        return redirect("home")
    return render(request, "landing.html")


@login_required
def home(request):
    """Each role has its own home page."""
    user = request.user
    if user.is_staff:
        return redirect("staff_console")
    if user.is_requester:
        return redirect("marketplace:requester_dashboard")
    return redirect("workers:task_feed")


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
    return render(request, "accounts/staff_console.html", context)
