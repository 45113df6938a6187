"""Role checks for pages (decorators) and for the API (DRF permission classes)."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission


def _role_required(check):
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


requester_required = _role_required(lambda user: user.is_requester)
worker_required = _role_required(lambda user: user.is_worker)
staff_required = _role_required(lambda user: user.is_staff)


class IsRequester(BasePermission):
    message = "Only requesters can do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_requester)


class IsWorker(BasePermission):
    message = "Only workers can do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_worker)


class IsStaff(BasePermission):
    message = "Only staff can do this."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)
