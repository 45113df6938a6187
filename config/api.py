"""API-wide behaviour: one error format and one pagination style for every endpoint.

Every error body is ``{"error": {"code": ..., "message": ..., "fields": {...}}}`` so clients
handle failures in one place. ``fields`` maps a field name (or ``non_field_errors``, or a row
number for imports) to a list of messages.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from config.errors import DomainError


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


def _flatten(detail):
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [str(item) for item in detail]
        return [_flatten(item) for item in detail]
    return [str(detail)]


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        set_rollback()  # as DRF does for its own errors: a refused request writes nothing
        return error_response(exc.code, exc.message, exc.http_status, exc.fields)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        body = {
            "code": "invalid",
            "message": "The request has invalid fields.",
            "fields": _flatten(detail),
        }
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        body = {
            "code": codes if isinstance(codes, str) else "error",
            "message": str(getattr(exc, "detail", exc)),
            "fields": {},
        }
    response.data = {"error": body}
    return response


def error_response(code: str, message: str, http_status=status.HTTP_400_BAD_REQUEST, fields=None):
    """An error in the API format, for views that refuse a domain operation."""
    return Response(
        {"error": {"code": code, "message": message, "fields": fields or {}}}, status=http_status
    )
