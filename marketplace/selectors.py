"""Reads shared by pages and the API."""

from django.db.models import QuerySet

from accounts.models import User
from marketplace.models import Project, ProjectStatus


def project_list_for_requester(*, user: User) -> QuerySet[Project]:
    """Projects of the requester's organisation only: the tenancy boundary."""
    return Project.objects.filter(account_id=user.requester_account_id).select_related("account")


def project_list_open_for_work() -> QuerySet[Project]:
    return Project.objects.filter(status=ProjectStatus.ACTIVE).select_related("account")


def project_list_visible_to(*, user: User) -> QuerySet[Project]:
    if user.is_staff:
        return Project.objects.select_related("account")
    if user.is_requester:
        return project_list_for_requester(user=user)
    return project_list_open_for_work()
