"""Requester API: projects, their lifecycle, tasks and imports. Thin: validate, call a service or
selector, serialise. Tenancy comes from the selectors (another organisation's rows are 404)."""

from django.http import FileResponse, Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsRequester
from config.api import error_response
from marketplace.markdown import render_markdown
from marketplace.models import ImportBatch, ImportMode, Project, Task
from marketplace.pricing import estimate_cost
from marketplace.selectors import projects as selectors
from marketplace.services.imports import import_start
from marketplace.services.projects import (
    LIFECYCLE_ACTIONS,
    ProjectError,
    actions_available,
    project_create,
    project_update,
    publish_problems,
    tasks_add,
)
from marketplace.task_types import ValidationProblem, task_type


class ProjectSerializer(serializers.ModelSerializer):
    """What anyone who may see the project sees (workers see active projects)."""

    class Meta:
        model = Project
        fields = [
            "id",
            "title",
            "description",
            "template_type",
            "reward_cents",
            "overlap_min",
            "overlap_max",
            "status",
            "priority",
            "tasks_count",
            "created_at",
        ]


class RequesterProjectSerializer(serializers.ModelSerializer):
    actions = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    cost_estimate = serializers.SerializerMethodField()
    publish_problems = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = [
            "id",
            "title",
            "description",
            "instructions",
            "template_type",
            "label_config",
            "reward_cents",
            "overlap_min",
            "overlap_max",
            "confidence_target",
            "time_limit_seconds",
            "auto_approve_seconds",
            "gold_ratio",
            "priority",
            "status",
            "tasks_count",
            "gold_tasks_count",
            "created_at",
            "published_at",
            "actions",
            "progress",
            "cost_estimate",
            "publish_problems",
        ]
        read_only_fields = [
            "status",
            "tasks_count",
            "gold_tasks_count",
            "created_at",
            "published_at",
        ]

    def get_actions(self, project) -> list[str]:
        return actions_available(project)

    def get_progress(self, project) -> dict:
        progress = selectors.project_progress(project=project)
        return {
            "tasks": progress.regular_tasks,
            "gold_tasks": progress.gold_tasks,
            "completed": progress.completed,
            "in_progress": progress.in_progress,
            "remaining": progress.remaining,
            "answers": progress.answers,
            "percent_complete": progress.percent_complete,
        }

    def get_cost_estimate(self, project) -> dict:
        estimate = estimate_cost(
            tasks=project.regular_tasks_count,
            overlap_max=project.overlap_max,
            reward_cents=project.reward_cents,
            gold_ratio=project.gold_ratio,
        )
        return {
            "assignments": estimate.assignments,
            "reward_cents": estimate.reward_cents,
            "fee_cents": estimate.fee_cents,
            "total_cents": estimate.total_cents,
        }

    def get_publish_problems(self, project) -> list[str]:
        return publish_problems(project) if project.status == "draft" else []


class ProjectListApi(generics.ListCreateAPIView):
    """GET: requesters see their organisation's projects, workers the active ones.
    POST (requesters): create a draft project."""

    filterset_fields = ["status", "template_type"]
    queryset = Project.objects.none()  # for the schema generator, which has no user

    def get_serializer_class(self):
        user = self.request.user
        if self.request.method == "POST" or (user.is_authenticated and user.is_requester):
            return RequesterProjectSerializer
        return ProjectSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.project_list_visible_to(user=self.request.user)

    def create(self, request, *args, **kwargs):
        if not request.user.is_requester:
            return error_response(
                "permission_denied", "Only requesters can do this.", status.HTTP_403_FORBIDDEN
            )
        serializer = RequesterProjectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = {
            k: v for k, v in serializer.validated_data.items() if k not in ("actions", "progress")
        }
        project = project_create(
            account=request.user.requester_account, created_by=request.user, **fields
        )
        return Response(RequesterProjectSerializer(project).data, status=status.HTTP_201_CREATED)


class ProjectDetailApi(APIView):
    permission_classes = [IsRequester]

    @extend_schema(responses=RequesterProjectSerializer)
    def get(self, request, project_id: int):
        project = selectors.project_get_for_requester(user=request.user, project_id=project_id)
        return Response(RequesterProjectSerializer(project).data)

    @extend_schema(request=RequesterProjectSerializer, responses=RequesterProjectSerializer)
    def patch(self, request, project_id: int):
        project = selectors.project_get_for_requester(user=request.user, project_id=project_id)
        serializer = RequesterProjectSerializer(project, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        project = project_update(project=project, **serializer.validated_data)
        return Response(RequesterProjectSerializer(project).data)


class ProjectActionApi(APIView):
    """Lifecycle: publish, pause, resume, complete, archive."""

    permission_classes = [IsRequester]

    @extend_schema(
        request=None, responses=RequesterProjectSerializer, operation_id="v1_projects_action"
    )
    def post(self, request, project_id: int, action: str):
        project = selectors.project_get_for_requester(user=request.user, project_id=project_id)
        if action not in LIFECYCLE_ACTIONS:
            raise Http404
        try:
            project = LIFECYCLE_ACTIONS[action](project=project)
        except ProjectError as error:
            return error_response("transition_refused", str(error), status.HTTP_409_CONFLICT)
        return Response(RequesterProjectSerializer(project).data)


class RequesterTaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = [
            "id",
            "external_id",
            "data",
            "is_gold",
            "gold_answer",
            "gold_explanation",
            "overlap",
            "answers_count",
            "status",
            "final_label",
            "confidence",
            "aggregation_method",
            "created_at",
        ]


class TaskCursorPagination(CursorPagination):
    """Keyset pagination: page 20,000 of a million tasks costs what page 1 costs."""

    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class TaskInputSerializer(serializers.Serializer):
    data = serializers.DictField()
    external_id = serializers.CharField(max_length=200, required=False, default="")
    gold_answer = serializers.JSONField(required=False, allow_null=True, default=None)
    gold_explanation = serializers.CharField(required=False, default="", allow_blank=True)


class ProjectTaskListApi(generics.ListAPIView):
    """GET: the project's tasks with gold answers (requesters only). POST: add up to 1,000 tasks
    as JSON; every bad item is reported by index and nothing is written. Into a live project
    the new regular tasks' slots are reserved in escrow; short funds write nothing."""

    permission_classes = [IsRequester]
    serializer_class = RequesterTaskSerializer
    pagination_class = TaskCursorPagination
    queryset = Task.objects.none()

    @extend_schema(parameters=[OpenApiParameter("is_gold", bool, required=False)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        project = selectors.project_get_for_requester(
            user=self.request.user, project_id=self.kwargs["project_id"]
        )
        tasks = selectors.task_list_for_project(project=project)
        gold = self.request.query_params.get("is_gold")
        if gold in ("true", "false"):
            tasks = tasks.filter(is_gold=gold == "true")
        return tasks

    @extend_schema(request=TaskInputSerializer(many=True), responses={201: None})
    def post(self, request, project_id: int):
        project = selectors.project_get_for_requester(user=request.user, project_id=project_id)
        items = TaskInputSerializer(data=request.data, many=True)
        items.is_valid(raise_exception=True)
        if len(items.validated_data) > 1000:
            return error_response("too_many", "Send at most 1,000 tasks per call; use imports.")
        kind = task_type(project.template_type)
        errors: dict[str, list[str]] = {}
        for index, item in enumerate(items.validated_data):
            problems = kind.data_errors(item["data"], project.label_config)
            if item["gold_answer"] is not None:
                try:
                    item["gold_answer"] = kind.clean_answer(
                        item["gold_answer"], config=project.label_config, data=item["data"]
                    )
                except ValidationProblem as problem:
                    problems = [*problems, *problem.errors]
            if problems:
                errors[str(index)] = [f"{p['field']}: {p['message']}" for p in problems]
        if errors:
            return error_response(
                "invalid", "Some tasks are invalid; none was added.", fields=errors
            )
        if project.status not in ("draft", "active", "paused"):
            return error_response("project_closed", "This project takes no more tasks.")
        added = tasks_add(project=project, items=items.validated_data)
        return Response({"added": added}, status=status.HTTP_201_CREATED)


class ImportBatchSerializer(serializers.ModelSerializer):
    rows_already_present = serializers.IntegerField(read_only=True)
    progress_rows = serializers.IntegerField(read_only=True)

    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "project",
            "file_name",
            "file_size",
            "format",
            "mode",
            "gold_only",
            "status",
            "rows_read",
            "rows_accepted",
            "rows_rejected",
            "rows_already_present",
            "gold_accepted",
            "progress_rows",
            "errors",
            "error_message",
            "created_at",
            "started_at",
            "finished_at",
        ]


class ImportInputSerializer(serializers.Serializer):
    file = serializers.FileField()
    mode = serializers.ChoiceField(choices=ImportMode.choices, default=ImportMode.ALL_OR_NOTHING)
    gold_only = serializers.BooleanField(default=False)


class ImportCreateApi(APIView):
    """Upload a CSV or JSONL file of tasks (multipart). Small files import during the request
    (201 with the outcome); large ones in the background (202; poll the import)."""

    permission_classes = [IsRequester]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=ImportInputSerializer, responses=ImportBatchSerializer)
    def post(self, request, project_id: int):
        project = selectors.project_get_for_requester(user=request.user, project_id=project_id)
        data = ImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        batch = import_start(
            project=project,
            uploaded_by=request.user,
            upload=data.validated_data["file"],
            mode=data.validated_data["mode"],
            gold_only=data.validated_data["gold_only"],
        )
        done = batch.status in ("succeeded", "failed")
        return Response(
            ImportBatchSerializer(batch).data,
            status=status.HTTP_201_CREATED if done else status.HTTP_202_ACCEPTED,
        )


class ImportDetailApi(APIView):
    permission_classes = [IsRequester]

    @extend_schema(responses=ImportBatchSerializer)
    def get(self, request, batch_id: int):
        batch = selectors.import_batch_get_for_requester(user=request.user, batch_id=batch_id)
        return Response(ImportBatchSerializer(batch).data)


class ImportRejectedApi(APIView):
    permission_classes = [IsRequester]

    @extend_schema(responses={(200, "text/csv"): bytes})
    def get(self, request, batch_id: int):
        batch = selectors.import_batch_get_for_requester(user=request.user, batch_id=batch_id)
        if not batch.rejected_file:
            raise Http404("This import kept no rejected rows.")
        return FileResponse(
            batch.rejected_file.open("rb"), as_attachment=True, filename=f"rejected-{batch.pk}.csv"
        )


class PreviewInputSerializer(serializers.Serializer):
    template_type = serializers.CharField()
    label_config = serializers.DictField(required=False, default=dict)
    instructions = serializers.CharField(required=False, default="", allow_blank=True)


class ProjectPreviewApi(APIView):
    """What a worker would see for a template and label config: validated config, example task
    data and the instructions rendered to safe HTML."""

    permission_classes = [IsAuthenticated, IsRequester]

    @extend_schema(
        request=PreviewInputSerializer,
        responses=inline_serializer(
            "ProjectPreview",
            {
                "label_config": serializers.DictField(),
                "example_data": serializers.DictField(),
                "instructions_html": serializers.CharField(),
            },
        ),
    )
    def post(self, request):
        data = PreviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            kind = task_type(data.validated_data["template_type"])
            config = kind.clean_config(data.validated_data["label_config"])
        except ValidationProblem as problem:
            return error_response(
                "invalid",
                "The template or its labels are invalid.",
                fields={item["field"]: [item["message"]] for item in problem.errors},
            )
        return Response(
            {
                "label_config": config,
                "example_data": kind.example_data(config),
                "instructions_html": str(render_markdown(data.validated_data["instructions"])),
            }
        )
