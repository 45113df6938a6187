"""Workforce API: qualification types and tests, attempts, grants, project requirements,
eligibility, notifications, the requester's and staff's view of workers, and the audit log.

Worker-facing responses use ``QuestionPublicSerializer`` and ``AttemptSerializer``, which have no
answer-key field; only the owner's ``QuestionSerializer`` carries it. Tenancy comes from
workers.selectors_workforce (another organisation's rows are 404).
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import IsStaff, IsWorker
from config.api import error_response
from marketplace.selectors import project_list_open_for_work
from workers import selectors_workforce as selectors
from workers.eligibility import unmet_requirements
from workers.models import (
    AuditAction,
    AuditLogEntry,
    Notification,
    ProjectRequirement,
    QualificationAttempt,
    QualificationKind,
    QualificationQuestion,
    QualificationType,
    WorkerQualification,
)
from workers.services import moderation, notifications, qualifications, requirements
from workers.services.errors import WorkforceError

_error = OpenApiResponse(description='`{"error": {"code", "message", "fields"}}`')


def _refused(error: WorkforceError) -> Response:
    return error_response(
        error.code, error.message, http_status=error.http_status, fields=error.fields
    )


class IsManager(BasePermission):
    """Requesters (for their organisation) and staff (for the platform)."""

    message = "Only requesters and staff can do this."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and (user.is_requester or user.is_staff))


# --- Serializers ------------------------------------------------------------------------------


class QualificationPublicSerializer(serializers.ModelSerializer):
    owner = serializers.SerializerMethodField()
    question_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = QualificationType
        fields = [
            "id",
            "name",
            "description",
            "kind",
            "owner",
            "passing_score",
            "time_limit_seconds",
            "retake_delay_seconds",
            "max_attempts",
            "validity_days",
            "show_feedback",
            "question_count",
        ]

    def get_owner(self, qualification) -> str:
        return qualification.account.name if qualification.account_id else "Quorum (platform)"


class QualificationSerializer(QualificationPublicSerializer):
    """The owner's view and input."""

    class Meta(QualificationPublicSerializer.Meta):
        fields = [*QualificationPublicSerializer.Meta.fields, "auto_value", "is_active"]


class QuestionPublicSerializer(serializers.ModelSerializer):
    """A test question as the worker sees it: no answer key, no explanation."""

    class Meta:
        model = QualificationQuestion
        fields = ["id", "position", "template_type", "label_config", "data"]


class QuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = QualificationQuestion
        fields = [
            "id",
            "position",
            "template_type",
            "label_config",
            "data",
            "answer_key",
            "explanation",
        ]
        read_only_fields = ["id", "position"]


class AttemptSerializer(serializers.ModelSerializer):
    """The worker's attempt: the questions while it is open, feedback (right/wrong and the
    explanation, never the key) once finished if the owner allows it."""

    questions = serializers.SerializerMethodField()
    feedback = serializers.SerializerMethodField()

    class Meta:
        model = QualificationAttempt
        fields = [
            "id",
            "qualification",
            "started_at",
            "deadline_at",
            "finished_at",
            "score",
            "passed",
            "timed_out",
            "questions",
            "feedback",
        ]

    def get_questions(self, attempt) -> list[dict]:
        if not attempt.is_open:
            return []
        return QuestionPublicSerializer(attempt.qualification.questions.all(), many=True).data

    def get_feedback(self, attempt) -> list[dict]:
        qualification = attempt.qualification
        if attempt.is_open or not (
            qualification.show_feedback or qualification.kind == QualificationKind.TRAINING
        ):
            return []
        return [
            {
                "question": question.pk,
                "correct": bool(attempt.results.get(str(question.pk))),
                "explanation": question.explanation,
            }
            for question in attempt.qualification.questions.all()
        ]


class GrantSerializer(serializers.ModelSerializer):
    worker_email = serializers.EmailField(source="worker.email", read_only=True)
    qualification_name = serializers.CharField(source="qualification.name", read_only=True)

    class Meta:
        model = WorkerQualification
        fields = [
            "id",
            "worker",
            "worker_email",
            "qualification",
            "qualification_name",
            "value",
            "granted_at",
            "expires_at",
            "revoked_at",
            "reason",
        ]


class RequirementSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProjectRequirement
        fields = ["id", "project", "kind", "qualification", "value", "locales"]
        read_only_fields = ["id", "project"]


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    qualification_id = serializers.IntegerField(allow_null=True)
    qualification_name = serializers.CharField()
    unlock = serializers.CharField(help_text="take_test, request, granted_by_requester or empty")


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "text", "created_at", "read_at"]


class WorkerSummarySerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(source="worker_profile.display_name", default="")
    answers = serializers.IntegerField()
    approved = serializers.IntegerField()
    rejected = serializers.IntegerField()
    blocked = serializers.BooleanField(help_text="Blocked by your organisation.")
    suspended = serializers.BooleanField()

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "display_name",
            "answers",
            "approved",
            "rejected",
            "blocked",
            "suspended",
        ]


class WorkerAnswerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    project = serializers.IntegerField(source="project_id")
    project_title = serializers.CharField(source="project.title")
    answer = serializers.JSONField()
    submitted_at = serializers.DateTimeField()
    review_status = serializers.CharField()
    rejection_reason = serializers.CharField()


class AuditEntrySerializer(serializers.ModelSerializer):
    actor_email = serializers.EmailField(source="actor.email", default="")
    worker_email = serializers.EmailField(source="worker.email", default="")

    class Meta:
        model = AuditLogEntry
        fields = [
            "id",
            "created_at",
            "actor",
            "actor_email",
            "account",
            "action",
            "worker",
            "worker_email",
            "reason",
            "details",
        ]


# --- Qualifications ---------------------------------------------------------------------------


class QualificationListApi(generics.ListCreateAPIView):
    """Workers: active qualifications to earn. Requesters: their organisation's. Staff: all."""

    queryset = QualificationType.objects.none()

    def get_serializer_class(self):
        user = self.request.user
        if user.is_authenticated and (user.is_staff or user.is_requester):
            return QualificationSerializer
        return QualificationPublicSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        user = self.request.user
        if user.is_staff or user.is_requester:
            return selectors.qualification_list_manageable(user=user)
        return selectors.qualification_list_for_worker()

    @extend_schema(
        summary="Create a qualification type",
        description="Requesters create it for their organisation; staff create platform-wide.",
        request=QualificationSerializer,
        responses={201: QualificationSerializer, 400: _error, 403: _error},
    )
    def post(self, request):
        if not IsManager().has_permission(request, self):
            return error_response("permission_denied", IsManager.message, status.HTTP_403_FORBIDDEN)
        serializer = QualificationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            qualification = qualifications.qualification_type_create(
                actor=request.user, **serializer.validated_data
            )
        except WorkforceError as error:
            return _refused(error)
        qualification.question_count = 0
        return Response(QualificationSerializer(qualification).data, status=status.HTTP_201_CREATED)


class QualificationDetailApi(APIView):
    serializer_class = QualificationSerializer

    @extend_schema(summary="A qualification type", responses={200: QualificationSerializer})
    def get(self, request, qualification_id: int):
        user = request.user
        if user.is_staff or user.is_requester:
            qualification = selectors.qualification_get_manageable(
                user=user, qualification_id=qualification_id
            )
            return Response(QualificationSerializer(qualification).data)
        qualification = selectors.qualification_get_for_worker(qualification_id=qualification_id)
        return Response(QualificationPublicSerializer(qualification).data)

    @extend_schema(
        summary="Change a qualification type",
        request=QualificationSerializer,
        responses={200: QualificationSerializer, 400: _error, 404: _error},
    )
    def patch(self, request, qualification_id: int):
        qualification = selectors.qualification_get_manageable(
            user=request.user, qualification_id=qualification_id
        )
        serializer = QualificationSerializer(qualification, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            qualification = qualifications.qualification_type_update(
                actor=request.user, qualification=qualification, **serializer.validated_data
            )
        except WorkforceError as error:
            return _refused(error)
        qualification.question_count = qualification.questions.count()
        return Response(QualificationSerializer(qualification).data)


class QuestionListApi(APIView):
    """The owner's view of a test's questions, answer keys included."""

    permission_classes = [IsManager]
    serializer_class = QuestionSerializer

    @extend_schema(
        summary="Questions of a test (owner)", responses={200: QuestionSerializer(many=True)}
    )
    def get(self, request, qualification_id: int):
        qualification = selectors.qualification_get_manageable(
            user=request.user, qualification_id=qualification_id
        )
        return Response(QuestionSerializer(qualification.questions.all(), many=True).data)

    @extend_schema(
        summary="Add a test question",
        description="Validated like a gold task: template config, data and answer key.",
        request=QuestionSerializer,
        responses={201: QuestionSerializer, 400: _error, 404: _error},
    )
    def post(self, request, qualification_id: int):
        qualification = selectors.qualification_get_manageable(
            user=request.user, qualification_id=qualification_id
        )
        serializer = QuestionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            question = qualifications.qualification_question_create(
                actor=request.user,
                qualification=qualification,
                template_type=data["template_type"],
                label_config=data.get("label_config", {}),
                data=data["data"],
                answer_key=data["answer_key"],
                explanation=data.get("explanation", ""),
            )
        except WorkforceError as error:
            return _refused(error)
        return Response(QuestionSerializer(question).data, status=status.HTTP_201_CREATED)


class AttemptStartApi(APIView):
    permission_classes = [IsWorker]

    @extend_schema(
        summary="Start (or resume) a qualification test",
        description="Returns the attempt with its questions (never the answer key).",
        request=None,
        responses={201: AttemptSerializer, 404: _error, 409: _error},
    )
    def post(self, request, qualification_id: int):
        qualification = selectors.qualification_get_for_worker(qualification_id=qualification_id)
        try:
            attempt = qualifications.attempt_start(worker=request.user, qualification=qualification)
        except WorkforceError as error:
            return _refused(error)
        return Response(AttemptSerializer(attempt).data, status=status.HTTP_201_CREATED)


class QualificationRequestApi(APIView):
    permission_classes = [IsWorker]

    @extend_schema(
        summary="Request an auto-granted qualification",
        request=None,
        responses={200: GrantSerializer, 404: _error, 409: _error},
    )
    def post(self, request, qualification_id: int):
        qualification = selectors.qualification_get_for_worker(qualification_id=qualification_id)
        try:
            grant = qualifications.qualification_request(
                worker=request.user, qualification=qualification
            )
        except WorkforceError as error:
            return _refused(error)
        return Response(GrantSerializer(grant).data)


class AttemptDetailApi(APIView):
    permission_classes = [IsWorker]

    @extend_schema(summary="One of my attempts", responses={200: AttemptSerializer, 404: _error})
    def get(self, request, attempt_id: int):
        attempt = selectors.attempt_get_for_worker(worker=request.user, attempt_id=attempt_id)
        return Response(AttemptSerializer(attempt).data)


class AttemptAnswerInputSerializer(serializers.Serializer):
    question = serializers.IntegerField()
    answer = serializers.JSONField()


class AttemptAnswerApi(APIView):
    permission_classes = [IsWorker]

    @extend_schema(
        summary="Answer one question of an open attempt",
        description=(
            "Keeps the answer (it must fit the question's template). In a training the answer "
            "is final and `feedback` says right or wrong with the explanation; for a test "
            "`feedback` is null (answers are judged only at submit)."
        ),
        request=AttemptAnswerInputSerializer,
        responses={
            200: inline_serializer(
                "AttemptAnswerOutput",
                {
                    "question": serializers.IntegerField(),
                    "feedback": inline_serializer(
                        "TrainingFeedback",
                        {
                            "question": serializers.IntegerField(),
                            "correct": serializers.BooleanField(),
                            "explanation": serializers.CharField(),
                        },
                        allow_null=True,
                    ),
                },
            ),
            400: _error,
            404: _error,
            409: _error,
        },
    )
    def post(self, request, attempt_id: int):
        serializer = AttemptAnswerInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        question_id = serializer.validated_data["question"]
        try:
            attempt = qualifications.attempt_answer(
                worker=request.user,
                attempt_id=attempt_id,
                question_id=question_id,
                answer=serializer.validated_data["answer"],
            )
        except WorkforceError as error:
            return _refused(error)
        feedback = qualifications.training_feedback(attempt=attempt, question_id=question_id)
        return Response({"question": question_id, "feedback": feedback})


class AttemptSubmitApi(APIView):
    permission_classes = [IsWorker]

    @extend_schema(
        summary="Submit a test attempt",
        description=(
            "`answers` maps question ids to answers in the question's template format. Scored "
            "on the server at once; a pass grants the qualification with the score as value."
        ),
        request=inline_serializer(
            "AttemptSubmitInput", {"answers": serializers.DictField(child=serializers.JSONField())}
        ),
        responses={200: AttemptSerializer, 400: _error, 404: _error},
    )
    def post(self, request, attempt_id: int):
        answers = request.data.get("answers", {}) if isinstance(request.data, dict) else None
        if not isinstance(answers, dict):
            return error_response(
                "invalid",
                "The request has invalid fields.",
                fields={"answers": ["An object of question id to answer."]},
            )
        try:
            attempt = qualifications.attempt_submit(
                worker=request.user, attempt_id=attempt_id, answers=answers
            )
        except WorkforceError as error:
            return _refused(error)
        return Response(AttemptSerializer(attempt).data)


class GrantInputSerializer(serializers.Serializer):
    worker = serializers.IntegerField()
    value = serializers.IntegerField(required=False, default=1)
    reason = serializers.CharField()


class QualificationGrantListApi(APIView):
    permission_classes = [IsManager]
    serializer_class = GrantSerializer

    @extend_schema(
        summary="Who holds this qualification", responses={200: GrantSerializer(many=True)}
    )
    def get(self, request, qualification_id: int):
        qualification = selectors.qualification_get_manageable(
            user=request.user, qualification_id=qualification_id
        )
        grants = selectors.grant_list_for_qualification(qualification=qualification)
        return Response(GrantSerializer(grants, many=True).data)

    @extend_schema(
        summary="Grant by hand",
        description="Requesters grant to workers who worked for or tested with them. Audited.",
        request=GrantInputSerializer,
        responses={201: GrantSerializer, 400: _error, 404: _error},
    )
    def post(self, request, qualification_id: int):
        qualification = selectors.qualification_get_manageable(
            user=request.user, qualification_id=qualification_id
        )
        serializer = GrantInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        worker = selectors.worker_get_for_manager(user=request.user, worker_id=data["worker"])
        try:
            grant = qualifications.qualification_grant(
                actor=request.user,
                worker=worker,
                qualification=qualification,
                value=data["value"],
                reason=data["reason"],
            )
        except WorkforceError as error:
            return _refused(error)
        return Response(GrantSerializer(grant).data, status=status.HTTP_201_CREATED)


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField()


class RevokeInputSerializer(ReasonInputSerializer):
    worker = serializers.IntegerField()


class QualificationRevokeApi(APIView):
    permission_classes = [IsManager]

    @extend_schema(
        summary="Revoke by hand",
        request=RevokeInputSerializer,
        responses={200: GrantSerializer, 400: _error, 404: _error},
    )
    def post(self, request, qualification_id: int):
        qualification = selectors.qualification_get_manageable(
            user=request.user, qualification_id=qualification_id
        )
        serializer = RevokeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        worker = selectors.worker_get_for_manager(user=request.user, worker_id=data["worker"])
        try:
            grant = qualifications.qualification_revoke(
                actor=request.user,
                worker=worker,
                qualification=qualification,
                reason=data["reason"],
            )
        except WorkforceError as error:
            return _refused(error)
        return Response(GrantSerializer(grant).data)


# --- Worker's own -----------------------------------------------------------------------------


class MyQualificationListApi(generics.ListAPIView):
    """Qualifications I hold or held (revoked and expired ones stay as history)."""

    permission_classes = [IsWorker]
    serializer_class = GrantSerializer
    queryset = WorkerQualification.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.grant_list_for_worker(worker=self.request.user)


class NotificationListApi(generics.ListAPIView):
    permission_classes = [IsWorker]
    serializer_class = NotificationSerializer
    queryset = Notification.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.notification_list_for_worker(worker=self.request.user)


class NotificationReadApi(APIView):
    permission_classes = [IsWorker]

    @extend_schema(
        summary="Mark notifications read",
        description="One (`id`) or, without an id, all of them.",
        request=inline_serializer(
            "NotificationReadInput", {"id": serializers.IntegerField(required=False)}
        ),
        responses={
            200: inline_serializer("NotificationReadOutput", {"marked": serializers.IntegerField()})
        },
    )
    def post(self, request):
        notification_id = request.data.get("id") if isinstance(request.data, dict) else None
        if notification_id is not None and type(notification_id) is not int:
            return error_response(
                "invalid", "The request has invalid fields.", fields={"id": ["A whole number."]}
            )
        try:
            marked = notifications.notification_mark_read(
                worker=request.user, notification_id=notification_id
            )
        except WorkforceError as error:
            return _refused(error)
        return Response({"marked": marked})


class EligibilityApi(APIView):
    permission_classes = [IsWorker]

    @extend_schema(
        summary="May I work on this project?",
        description="The unmet requirements, each with what unlocks it; [] when eligible.",
        responses={
            200: inline_serializer(
                "Eligibility",
                {"eligible": serializers.BooleanField(), "reasons": ReasonSerializer(many=True)},
            ),
            404: _error,
        },
    )
    def get(self, request, project_id: int):
        project = get_object_or_404(project_list_open_for_work(), pk=project_id)
        reasons = unmet_requirements(worker=request.user, project=project)
        return Response(
            {"eligible": not reasons, "reasons": [reason.as_dict() for reason in reasons]}
        )


# --- Requirements -----------------------------------------------------------------------------


class RequirementListApi(APIView):
    permission_classes = [IsManager]
    serializer_class = RequirementSerializer

    @extend_schema(
        summary="A project's requirements",
        responses={200: RequirementSerializer(many=True), 404: _error},
    )
    def get(self, request, project_id: int):
        project = selectors.project_get_manageable(user=request.user, project_id=project_id)
        found = selectors.requirement_list_for_project(project=project)
        return Response(RequirementSerializer(found, many=True).data)

    @extend_schema(
        summary="Add a requirement",
        description="All requirements of a project must hold (AND).",
        request=RequirementSerializer,
        responses={201: RequirementSerializer, 400: _error, 404: _error},
    )
    def post(self, request, project_id: int):
        project = selectors.project_get_manageable(user=request.user, project_id=project_id)
        serializer = RequirementSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        qualification = data.get("qualification")
        if (
            qualification is not None
            and not selectors.qualification_list_usable_for_requirements(user=request.user)
            .filter(pk=qualification.pk)
            .exists()
        ):
            return error_response(
                "invalid",
                "The request has invalid fields.",
                fields={"qualification": ["No such qualification."]},
            )
        try:
            requirement = requirements.requirement_create(
                project=project,
                kind=data["kind"],
                qualification=qualification,
                value=data.get("value"),
                locales=data.get("locales"),
            )
        except WorkforceError as error:
            return _refused(error)
        return Response(RequirementSerializer(requirement).data, status=status.HTTP_201_CREATED)


class RequirementDetailApi(APIView):
    permission_classes = [IsManager]

    @extend_schema(summary="Remove a requirement", responses={204: None, 404: _error})
    def delete(self, request, requirement_id: int):
        requirement = selectors.requirement_get_manageable(
            user=request.user, requirement_id=requirement_id
        )
        requirements.requirement_delete(requirement=requirement)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Workers as requesters and staff see them -------------------------------------------------


class WorkerListApi(generics.ListAPIView):
    """Requesters: workers on their projects (counts on their projects). Staff: every worker."""

    permission_classes = [IsManager]
    serializer_class = WorkerSummarySerializer
    queryset = User.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.worker_list_for_manager(user=self.request.user)


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


class SuspendInputSerializer(ReasonInputSerializer):
    appeal_note = serializers.CharField(required=False, allow_blank=True, default="")


class MessageInputSerializer(serializers.Serializer):
    subject = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    text = serializers.CharField(max_length=moderation.MAX_MESSAGE_LENGTH)


_ok = inline_serializer("WorkforceActionResult", {"ok": serializers.BooleanField()})


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
        try:
            self.perform(request.user, worker, serializer.validated_data)
        except WorkforceError as error:
            return _refused(error)
        return Response({"ok": True})


_action_responses = {200: _ok, 400: _error, 403: _error, 404: _error, 409: _error}


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
