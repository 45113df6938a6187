"""The landing page and the role-based home redirect. Each role's pages live in the app that
owns them, so the redirects name URLs, not views."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render


def landing(request):
    if request.user.is_authenticated:
        return redirect("home")
    return render(request, "landing.html")


@login_required
def home(request):
    """Each role has its own home page."""
    user = request.user
    if user.is_staff:
        return redirect("workforce:staff_console")
    if user.is_requester:
        return redirect("marketplace:requester_dashboard")
    return redirect("workers:task_feed")
