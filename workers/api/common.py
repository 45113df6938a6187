"""Shared pieces of the workforce API: the error schema, the manager permission, and
the reason input most actions take."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import BasePermission

_error = OpenApiResponse(description='`{"error": {"code", "message", "fields"}}`')


class IsManager(BasePermission):
    """Requesters (for their organisation) and staff (for the platform)."""

    message = "Only requesters and staff can do this."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and (user.is_requester or user.is_staff))


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField()


_ok = inline_serializer("WorkforceActionResult", {"ok": serializers.BooleanField()})
_action_responses = {200: _ok, 400: _error, 403: _error, 404: _error, 409: _error}
