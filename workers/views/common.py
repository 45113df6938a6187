"""Shared by the requester and staff workforce pages: who may see them, and the URL names each gets
(the same views serve requesters, for their organisation, and staff, for the platform)."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from workers.services.errors import WorkforceError


def manager_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not (request.user.is_requester or request.user.is_staff):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _ns(request) -> str:
    return "workforce:staff_" if request.user.is_staff else "workforce:requester_"


def _redirect(request, name: str, *args):
    return redirect(_ns(request) + name, *args)


def _show_errors(request, error: WorkforceError) -> None:
    details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.fields.items())
    messages.error(request, f"{error.message} {details}".strip())
