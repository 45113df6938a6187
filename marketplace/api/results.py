"""API for results, aggregation and worker quality. Thin: validate, call a service or a read,
serialise. Tenancy comes from ``project_get_for_requester`` (another organisation's project is
404)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import IsRequester, IsWorker
from config.api import error_response
from marketplace.aggregation import METHODS
from marketplace.exporting import FORMATS
from marketplace.exporting.download import results_response
from marketplace.models import Project, ProjectBlock, QualityAction, WorkerProjectStats
from marketplace.selectors import projects as selectors
from marketplace.selectors.quality import (
    project_blocks_for_worker,
    project_budget_saved,
    quality_actions_for_worker,
    worker_stats_for_project,
)
from marketplace.services.aggregation import aggregation_method_set
from marketplace.services.quality import (
    QUALITY_SETTINGS,
    QualityError,
    quality_settings_update,
    worker_block,
    worker_unblock,
)
from marketplace.tasks import aggregate_project


class ResultsApi(APIView):
    """Final labels of the project's regular tasks, streamed (flat memory at 1M tasks), as
    csv, jsonl, label_studio (every type), coco (bounding boxes) or conll (spans); a format
    that does not fit the project's type is a 400. ``answers=1`` adds the raw answers to csv
    and jsonl, ``rejected=1`` the rejected ones among them too. Formats: docs/file-formats.md."""

    permission_classes = [IsRequester]

    def perform_content_negotiation(self, request, force=False):
        # ``format`` names the file format here, not a DRF renderer; errors render as JSON.
        return JSONRenderer(), JSONRenderer.media_type

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "format",
                str,
                enum=list(FORMATS),
                required=False,
                description="csv (default), jsonl, label_studio; coco for bounding-box "
                "projects, conll for span projects.",
            ),
            OpenApiParameter("answers", int, enum=[0, 1], required=False),
            OpenApiParameter(
                "rejected",
                int,
                enum=[0, 1],
                required=False,
                description="With answers=1: include rejected answers (left out by default).",
            ),
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, "application/x-ndjson"): OpenApiTypes.BINARY,
            # label_studio (a list of tasks) and coco (an object): JSON, not a file blob.
            (200, "application/json"): OpenApiTypes.ANY,
            (200, "text/plain"): OpenApiTypes.BINARY,
        },
    )
    def get(self, request, project_id: int):
        project = selectors.project_get_for_requester(user=request.user, project_id=project_id)
        fmt = request.query_params.get("format", "csv")
        if fmt not in FORMATS:
            known = ", ".join(FORMATS)
            return error_response(
                "invalid", f"Results come as {known}.", fields={"format": [f"one of {known}"]}
            )
        if refusal := FORMATS[fmt].refusal(project.template_type):
            return error_response("invalid", refusal, fields={"format": [refusal]})
        with_answers = request.query_params.get("answers") in ("1", "true")
        include_rejected = request.query_params.get("rejected") in ("1", "true")
        return results_response(
            project=project,
            fmt=fmt,
            with_answers=with_answers,
            include_rejected=include_rejected,
        )


class AggregateInputSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=sorted(METHODS), required=False)


class AggregationSerializer(serializers.ModelSerializer):
    answers_saved = serializers.IntegerField()
    reward_cents_saved = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = ["aggregation_method", "aggregated_at", "answers_saved", "reward_cents_saved"]

    def get_reward_cents_saved(self, project) -> int:
        return project_budget_saved(project=project).reward_cents_saved


class AggregateApi(APIView):
    """Read the aggregation state (method, last run, budget saved by dynamic overlap), or start
    a run now, optionally switching the project's method."""

    permission_classes = [IsRequester]

    @extend_schema(responses=AggregationSerializer)
    def get(self, request, project_id: int):
        project = selectors.project_get_for_requester(user=request.user, project_id=project_id)
        return Response(AggregationSerializer(project).data)

    @extend_schema(request=AggregateInputSerializer, responses={202: AggregationSerializer})
    def post(self, request, project_id: int):
        project = selectors.project_get_for_requester(user=request.user, project_id=project_id)
        data = AggregateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if "method" in data.validated_data:
            aggregation_method_set(project=project, method=data.validated_data["method"])
        aggregate_project.delay(project.pk)
        project.refresh_from_db()
        return Response(AggregationSerializer(project).data, status=status.HTTP_202_ACCEPTED)


class WorkerStatsSerializer(serializers.ModelSerializer):
    gold_accuracy = serializers.FloatField(allow_null=True)
    blocked = serializers.BooleanField()

    class Meta:
        model = WorkerProjectStats
        fields = [
            "worker_id",
            "answers",
            "gold_answers",
            "gold_correct",
            "gold_accuracy",
            "gold_accuracy_low",
            "gold_accuracy_high",
            "agreement",
            "skill",
            "median_duration_ms",
            "blocked",
            "updated_at",
        ]


class ProjectWorkersApi(generics.ListAPIView):
    """Quality per worker in the project, weakest gold accuracy first."""

    permission_classes = [IsRequester]
    serializer_class = WorkerStatsSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return WorkerProjectStats.objects.none()
        project = selectors.project_get_for_requester(
            user=self.request.user, project_id=self.kwargs["project_id"]
        )
        return worker_stats_for_project(project=project)


class BlockInputSerializer(serializers.Serializer):
    reason = serializers.CharField()


class ProjectBlockSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProjectBlock
        fields = ["project", "worker", "reason", "created_by", "created_at"]


class ProjectWorkerBlockApi(APIView):
    """Block a worker from the project by hand (POST) or lift a block (DELETE)."""

    permission_classes = [IsRequester]

    def _target(self, request, project_id, worker_id):
        project = selectors.project_get_for_requester(user=request.user, project_id=project_id)
        workers = User.objects.filter(assignments__project=project).distinct()
        return project, get_object_or_404(workers, pk=worker_id)

    @extend_schema(request=BlockInputSerializer, responses={201: ProjectBlockSerializer})
    def post(self, request, project_id: int, worker_id: int):
        project, worker = self._target(request, project_id, worker_id)
        data = BlockInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        block = worker_block(
            project=project,
            worker=worker,
            reason=data.validated_data["reason"],
            by=request.user,
        )
        return Response(ProjectBlockSerializer(block).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def delete(self, request, project_id: int, worker_id: int):
        project, worker = self._target(request, project_id, worker_id)
        worker_unblock(project=project, worker=worker, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class QualitySettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = list(QUALITY_SETTINGS)


class QualitySettingsApi(APIView):
    """The project's quality rules; null turns a rule off."""

    permission_classes = [IsRequester]

    @extend_schema(responses=QualitySettingsSerializer)
    def get(self, request, project_id: int):
        project = selectors.project_get_for_requester(user=request.user, project_id=project_id)
        return Response(QualitySettingsSerializer(project).data)

    @extend_schema(request=QualitySettingsSerializer, responses=QualitySettingsSerializer)
    def patch(self, request, project_id: int):
        project = selectors.project_get_for_requester(user=request.user, project_id=project_id)
        data = QualitySettingsSerializer(project, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        try:
            project = quality_settings_update(project=project, **data.validated_data)
        except QualityError as error:
            return error_response("invalid", str(error))
        return Response(QualitySettingsSerializer(project).data)


class QualityActionSerializer(serializers.ModelSerializer):
    project_title = serializers.CharField(source="project.title")

    class Meta:
        model = QualityAction
        fields = [
            "id",
            "project",
            "project_title",
            "rule",
            "action",
            "reason",
            "answers_discarded",
            "created_at",
        ]


class WorkerBlockSerializer(serializers.ModelSerializer):
    project_title = serializers.CharField(source="project.title")

    class Meta:
        model = ProjectBlock
        fields = ["project", "project_title", "reason", "created_at"]


class MyQualityApi(APIView):
    """The calling worker's blocks and quality actions, with their reasons."""

    permission_classes = [IsWorker]

    @extend_schema(
        responses=inline_serializer(
            "MyQuality",
            {
                "blocks": WorkerBlockSerializer(many=True),
                "actions": QualityActionSerializer(many=True),
            },
        )
    )
    def get(self, request):
        return Response(
            {
                "blocks": WorkerBlockSerializer(
                    project_blocks_for_worker(worker=request.user), many=True
                ).data,
                "actions": QualityActionSerializer(
                    quality_actions_for_worker(worker=request.user)[:200], many=True
                ).data,
            }
        )
