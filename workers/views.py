from django.shortcuts import render

from accounts.permissions import worker_required
from marketplace.selectors import project_list_open_for_work


@worker_required
def task_feed(request):
    projects = project_list_open_for_work()
    return render(request, "workers/task_feed.html", {"projects": projects})
