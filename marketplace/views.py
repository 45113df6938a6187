from django.shortcuts import render

from accounts.permissions import requester_required
from marketplace.selectors import project_list_for_requester


@requester_required
def requester_dashboard(request):
    projects = project_list_for_requester(user=request.user)
    return render(request, "marketplace/requester_dashboard.html", {"projects": projects})
