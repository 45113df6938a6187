"""Staff only: platform suspensions, the audit log and the skill-level thresholds."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsStaff
from workers.api.common import (
    ReasonInputSerializer,
    _action_responses,
    _error,
)
from workers.api.serializers import (
    AuditEntrySerializer,
)
from workers.api.workers import _WorkerActionApi
from workers.models import (
    AuditAction,
    AuditLogEntry,
    SkillLevel,
)
from workers.selectors import workforce as selectors
from workers.selectors.stats import skill_levels_current
from workers.services import moderation
from workers.services.skill_levels import skill_levels_reset, skill_levels_set


class SuspendInputSerializer(ReasonInputSerializer):
    appeal_note = serializers.CharField(required=False, allow_blank=True, default="")


@extend_schema(
    summary="Suspend from the platform (staff)",
    request=SuspendInputSerializer,
    responses=_action_responses,
)
class WorkerSuspendApi(_WorkerActionApi):
    permission_classes = [IsStaff]
    input_serializer = SuspendInputSerializer

    def perform(self, actor, worker, data):
        moderation.worker_suspend(
            actor=actor, worker=worker, reason=data["reason"], appeal_note=data["appeal_note"]
        )


@extend_schema(
    summary="Lift a suspension (staff)", request=ReasonInputSerializer, responses=_action_responses
)
class WorkerUnsuspendApi(_WorkerActionApi):
    permission_classes = [IsStaff]

    def perform(self, actor, worker, data):
        moderation.worker_unsuspend(actor=actor, worker=worker, reason=data["reason"])


class AuditLogApi(generics.ListAPIView):
    """The audit log, newest first (staff). Filters: ``worker``, ``action``."""

    permission_classes = [IsStaff]
    serializer_class = AuditEntrySerializer
    queryset = AuditLogEntry.objects.none()
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        worker = self.request.query_params.get("worker", "")
        action = self.request.query_params.get("action", "")
        return selectors.audit_list(
            worker_id=int(worker) if worker.isdigit() else None,
            action=action if action in AuditAction.values else "",
        )


class SkillLevelSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    min_approved = serializers.IntegerField(help_text="Approved answers at least.")
    min_gold_accuracy = serializers.IntegerField(help_text="Gold accuracy % at least.")


_levels = inline_serializer(
    "SkillLevels",
    {"custom": serializers.BooleanField(), "levels": SkillLevelSerializer(many=True)},
)


def _levels_response(levels) -> Response:
    rows = [
        {"level": level, "min_approved": approved, "min_gold_accuracy": accuracy}
        for level, approved, accuracy in levels
    ]
    return Response({"custom": SkillLevel.objects.exists(), "levels": rows})


class SkillLevelsApi(APIView):
    """Readable by anyone signed in (workers see what a level needs); staff change them."""

    def get_permissions(self):
        return [IsAuthenticated()] if self.request.method == "GET" else [IsStaff()]

    @extend_schema(summary="Skill-level thresholds, highest level first", responses={200: _levels})
    def get(self, request):
        return _levels_response(skill_levels_current())

    @extend_schema(
        summary="Replace the skill-level thresholds (staff)",
        description=(
            "Levels distinct (1 to 20), approved answers ≥ 0, gold accuracy 0 to 100 %; a higher "
            "level asks at least as much as the one below on both, and more on one. Errors name "
            "the row: `levels.<index>.<field>`. Audited; eligibility sees the change at once."
        ),
        request=inline_serializer("SkillLevelsInput", {"levels": SkillLevelSerializer(many=True)}),
        responses={200: _levels, 400: _error, 403: _error},
    )
    def put(self, request):
        levels = request.data.get("levels") if isinstance(request.data, dict) else None
        return _levels_response(skill_levels_set(actor=request.user, levels=levels))

    @extend_schema(
        summary="Back to the default thresholds (staff)", responses={200: _levels, 403: _error}
    )
    def delete(self, request):
        return _levels_response(skill_levels_reset(actor=request.user))
