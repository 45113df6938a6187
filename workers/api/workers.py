"""Workers as requesters and staff see them, and the actions on a worker (block, message)."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from workers.api.common import (
    IsManager,
    ReasonInputSerializer,
    _action_responses,
    _error,
)
from workers.api.serializers import (
    GrantSerializer,
    WorkerAnswerSerializer,
    WorkerSummarySerializer,
)
from workers.selectors import workforce as selectors
from workers.selectors.quality import worker_page_with_quality
from workers.services import moderation


class ProjectRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class WorkerQualitySerializer(serializers.Serializer):
    """Summed over the caller's projects (staff: all projects)."""

    answers = serializers.IntegerField(help_text="Regular answers counted in the figures.")
    gold_answers = serializers.IntegerField()
    gold_correct = serializers.IntegerField()
    gold_accuracy = serializers.FloatField(allow_null=True)
    gold_accuracy_low = serializers.FloatField(allow_null=True, help_text="95% Wilson interval")
    gold_accuracy_high = serializers.FloatField(allow_null=True)
    agreement = serializers.FloatField(allow_null=True, help_text="Weighted by answers.")
    median_duration_ms = serializers.IntegerField(allow_null=True)
    projects = ProjectRefSerializer(many=True)

    def to_representation(self, quality):
        interval = quality.gold_interval or (None, None)
        return {
            "answers": quality.answers,
            "gold_answers": quality.gold_answers,
            "gold_correct": quality.gold_correct,
            "gold_accuracy": quality.gold_accuracy,
            "gold_accuracy_low": interval[0],
            "gold_accuracy_high": interval[1],
            "agreement": quality.agreement,
            "median_duration_ms": quality.median_duration_ms,
            "projects": [{"id": pk, "title": title} for pk, title in quality.projects],
        }


class WorkerListItemSerializer(WorkerSummarySerializer):
    open_flags = serializers.IntegerField(help_text="Quality flags not reviewed yet.")
    blocked_projects = serializers.IntegerField(help_text="Projects the worker is blocked from.")
    quality = WorkerQualitySerializer()

    class Meta(WorkerSummarySerializer.Meta):
        fields = [*WorkerSummarySerializer.Meta.fields, "open_flags", "blocked_projects", "quality"]


class WorkerListApi(generics.ListAPIView):
    """Requesters: workers on their projects, with counts and quality figures on their projects
    only. Staff: every worker, figures over all projects. Fixed number of queries per page."""

    permission_classes = [IsManager]
    serializer_class = WorkerListItemSerializer
    queryset = User.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.worker_scope_for_manager(user=self.request.user)

    def paginate_queryset(self, queryset):
        """Cut the page from the bare scope, then compute the figures for its rows only."""
        ids = super().paginate_queryset(queryset.values_list("pk", flat=True))
        return worker_page_with_quality(user=self.request.user, worker_ids=list(ids))


class WorkerDetailApi(APIView):
    permission_classes = [IsManager]

    @extend_schema(
        summary="A worker: summary, answers on your projects, your qualifications they hold",
        responses={
            200: inline_serializer(
                "WorkerDetail",
                {
                    "worker": WorkerSummarySerializer(),
                    "answers": WorkerAnswerSerializer(many=True),
                    "qualifications": GrantSerializer(many=True),
                },
            ),
            404: _error,
        },
    )
    def get(self, request, worker_id: int):
        worker = selectors.worker_get_for_manager(user=request.user, worker_id=worker_id)
        answers = selectors.worker_assignments_for_manager(user=request.user, worker=worker)[:200]
        grants = selectors.worker_grants_for_manager(user=request.user, worker=worker)
        return Response(
            {
                "worker": WorkerSummarySerializer(worker).data,
                "answers": WorkerAnswerSerializer(answers, many=True).data,
                "qualifications": GrantSerializer(grants, many=True).data,
            }
        )


class MessageInputSerializer(serializers.Serializer):
    subject = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    text = serializers.CharField(max_length=moderation.MAX_MESSAGE_LENGTH)


class _WorkerActionApi(APIView):
    """POST an action on a worker the caller may see; the service checks the caller's role."""

    permission_classes = [IsManager]
    input_serializer = ReasonInputSerializer

    def perform(self, actor, worker, data):  # pragma: no cover - overridden
        raise NotImplementedError

    def post(self, request, worker_id: int):
        worker = selectors.worker_get_for_manager(user=request.user, worker_id=worker_id)
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform(request.user, worker, serializer.validated_data)
        return Response({"ok": True})


@extend_schema(
    summary="Block from my organisation's projects",
    request=ReasonInputSerializer,
    responses=_action_responses,
)
class WorkerBlockApi(_WorkerActionApi):
    def perform(self, actor, worker, data):
        moderation.requester_block(actor=actor, worker=worker, reason=data["reason"])


@extend_schema(
    summary="Lift my organisation's block",
    request=ReasonInputSerializer,
    responses=_action_responses,
)
class WorkerUnblockApi(_WorkerActionApi):
    def perform(self, actor, worker, data):
        moderation.requester_unblock(actor=actor, worker=worker, reason=data["reason"])


@extend_schema(
    summary="Message a worker (email + notification)",
    request=MessageInputSerializer,
    responses=_action_responses,
)
class WorkerMessageApi(_WorkerActionApi):
    input_serializer = MessageInputSerializer

    def perform(self, actor, worker, data):
        moderation.worker_message(
            actor=actor, worker=worker, subject=data["subject"], text=data["text"]
        )
