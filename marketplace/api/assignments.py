"""The worker's API for work: claim a task, submit, skip, return, heartbeat, and history.

Claim and submit are the hot endpoints of the platform: plain APIViews with JSON only (no
content negotiation over the browsable API), token auth from the cache
(accounts.authentication), a few lines of input checks and one service call each, which runs one
or two hand-written SQL statements. Same auth, permission, validation and error format as every
other endpoint; the database constraints stand behind all of it. See docs/allocation.md.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsWorker
from config.api import error_response
from marketplace.models import Assignment
from marketplace.selectors.assignments import assignment_get_for_worker
from marketplace.services.assignments import (
    assignment_claim,
    assignment_heartbeat,
    assignment_return,
    assignment_skip,
    assignment_submit,
)

MAX_KEY_LENGTH = 64


def _invalid(field: str, message: str) -> Response:
    return error_response("invalid", "The request has invalid fields.", fields={field: [message]})


def _invalid_own(request, assignment_id: int, field: str, message: str) -> Response:
    """Whose assignment it is comes before what is wrong with the body: another worker's id is
    a 404 whatever was sent (tests/security/test_tenancy_sweep.py calls every route with an
    empty body). Only on the error path, so a valid submit costs no extra query."""
    assignment_get_for_worker(worker=request.user, assignment_id=assignment_id)
    return _invalid(field, message)


class _WorkerApi(APIView):
    permission_classes = [IsWorker]
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]


_project_summary = inline_serializer(
    "AssignmentProject",
    {
        "id": serializers.IntegerField(),
        "title": serializers.CharField(),
        "template_type": serializers.CharField(),
    },
)
_claim_output = inline_serializer(
    "ClaimOutput",
    {
        "assignment": serializers.IntegerField(help_text="Use this id to submit, skip, ..."),
        "expires_at": serializers.DateTimeField(),
        "project": _project_summary,
        "data": serializers.JSONField(help_text="The task's data, as imported."),
    },
)
_error = OpenApiResponse(description='`{"error": {"code", "message", "fields"}}`')


class AssignmentClaimApi(_WorkerApi):
    @extend_schema(
        summary="Claim the next task",
        description=(
            "Hands out a task the worker has not had, of `project` or of any active project "
            "(highest priority first), with a lease until `expires_at`. 204 when there is "
            "nothing to do right now."
        ),
        request=inline_serializer(
            "ClaimInput", {"project": serializers.IntegerField(required=False)}
        ),
        responses={200: _claim_output, 204: None, 403: _error, 404: _error},
    )
    def post(self, request):
        project = request.data.get("project") if isinstance(request.data, dict) else None
        if project is not None and (type(project) is not int or project < 1):
            return _invalid("project", "A project id is a positive whole number.")
        claimed = assignment_claim(worker=request.user, project=project)
        if claimed is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(
            {
                "assignment": claimed.assignment_id,
                "expires_at": claimed.expires_at,
                "project": {
                    "id": claimed.project_id,
                    "title": claimed.project_title,
                    "template_type": claimed.template_type,
                },
                "data": claimed.data,
            }
        )


_submit_output = inline_serializer(
    "SubmitOutput",
    {
        "assignment": serializers.IntegerField(),
        "status": serializers.CharField(),
        "submitted_at": serializers.DateTimeField(),
        "late": serializers.BooleanField(help_text="Submitted after the lease ran out."),
    },
)


class AssignmentSubmitApi(_WorkerApi):
    @extend_schema(
        summary="Submit an answer",
        description=(
            "Validates `answer` against the project's template. Retrying the same request "
            "(same `submit_key` or `Idempotency-Key` header, or the same answer) returns the "
            "same result and records one answer. A late answer is kept while the task still "
            "has a free slot, otherwise refused with `lease_expired`."
        ),
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER)],
        request=inline_serializer(
            "SubmitInput",
            {
                "answer": serializers.JSONField(),
                "submit_key": serializers.CharField(required=False, max_length=MAX_KEY_LENGTH),
            },
        ),
        responses={200: _submit_output, 400: _error, 404: _error, 409: _error},
    )
    def post(self, request, assignment_id: int):
        body = request.data
        if not isinstance(body, dict) or "answer" not in body:
            return _invalid_own(request, assignment_id, "answer", "This field is required.")
        key = body.get("submit_key") or request.headers.get("Idempotency-Key") or ""
        if not isinstance(key, str) or len(key) > MAX_KEY_LENGTH:
            message = f"At most {MAX_KEY_LENGTH} characters of text."
            return _invalid_own(request, assignment_id, "submit_key", message)
        result = assignment_submit(
            worker=request.user,
            assignment_id=assignment_id,
            answer=body["answer"],
            submit_key=key,
        )
        return Response(
            {
                "assignment": result.assignment_id,
                "status": "submitted",
                "submitted_at": result.submitted_at,
                "late": result.late,
            }
        )


_state_output = inline_serializer(
    "AssignmentState",
    {
        "assignment": serializers.IntegerField(),
        "status": serializers.CharField(),
        "expires_at": serializers.DateTimeField(),
    },
)


def _state(assignment: Assignment) -> Response:
    return Response(
        {
            "assignment": assignment.pk,
            "status": assignment.status,
            "expires_at": assignment.expires_at,
        }
    )


class _AssignmentActionApi(_WorkerApi):
    action = staticmethod(assignment_skip)

    def post(self, request, assignment_id: int):
        assignment = self.action(worker=request.user, assignment_id=assignment_id)
        return _state(assignment)


@extend_schema(
    summary="Skip a task",
    description="Releases the slot; this task is never offered to this worker again.",
    request=None,
    responses={200: _state_output, 404: _error, 409: _error},
)
class AssignmentSkipApi(_AssignmentActionApi):
    action = staticmethod(assignment_skip)


@extend_schema(
    summary="Return a task",
    description="Gives the task back for other workers (the slot is released once).",
    request=None,
    responses={200: _state_output, 404: _error, 409: _error},
)
class AssignmentReturnApi(_AssignmentActionApi):
    action = staticmethod(assignment_return)


@extend_schema(
    summary="Extend the lease",
    description=(
        "For long tasks: moves `expires_at` to now + the project's time limit, at most three "
        "time limits after the claim. 409 `lease_expired` once the lease has run out."
    ),
    request=None,
    responses={200: _state_output, 404: _error, 409: _error},
)
class AssignmentHeartbeatApi(_AssignmentActionApi):
    action = staticmethod(assignment_heartbeat)


class AssignmentSerializer(serializers.ModelSerializer):
    # Never the task id nor whether it is gold: both would tell gold tasks apart.
    class Meta:
        model = Assignment
        fields = [
            "id",
            "project",
            "status",
            "claimed_at",
            "expires_at",
            "submitted_at",
            "duration_ms",
            "answer",
            "review_status",
            "rejection_reason",
        ]


class AssignmentListApi(generics.ListAPIView):
    """The worker's own assignments, newest first."""

    permission_classes = [IsWorker]
    serializer_class = AssignmentSerializer
    filterset_fields = ["status", "project"]
    queryset = Assignment.objects.none()  # for the schema generator, which has no user

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return Assignment.objects.filter(worker_id=self.request.user.pk).order_by(
            "-claimed_at", "-id"
        )
