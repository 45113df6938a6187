"""Qualification types, test questions and grants by hand (requesters and staff)."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import error_response
from workers.api.common import (
    IsManager,
    ReasonInputSerializer,
    _error,
)
from workers.api.serializers import (
    GrantSerializer,
    QualificationPublicSerializer,
    QualificationSerializer,
    QuestionSerializer,
)
from workers.models import (
    QualificationType,
)
from workers.selectors import workforce as selectors
from workers.services import qualification_authoring, qualification_grants


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
        qualification = qualification_authoring.qualification_type_create(
            actor=request.user, **serializer.validated_data
        )
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
        qualification = qualification_authoring.qualification_type_update(
            actor=request.user, qualification=qualification, **serializer.validated_data
        )
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
        question = qualification_authoring.qualification_question_create(
            actor=request.user,
            qualification=qualification,
            template_type=data["template_type"],
            label_config=data.get("label_config", {}),
            data=data["data"],
            answer_key=data["answer_key"],
            explanation=data.get("explanation", ""),
        )
        return Response(QuestionSerializer(question).data, status=status.HTTP_201_CREATED)


class GrantInputSerializer(serializers.Serializer):
    worker = serializers.IntegerField()
    value = serializers.IntegerField(required=False, default=1)
    reason = serializers.CharField()


class RevokeInputSerializer(ReasonInputSerializer):
    worker = serializers.IntegerField()


def _grant_change(request, qualification_id: int, input_serializer, change, http_status):
    """Grant and revoke share their shape: a qualification the caller manages, a worker they may
    see (404 otherwise), a reason; the service audits the change."""
    qualification = selectors.qualification_get_manageable(
        user=request.user, qualification_id=qualification_id
    )
    serializer = input_serializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = dict(serializer.validated_data)
    worker = selectors.worker_get_for_manager(user=request.user, worker_id=data.pop("worker"))
    grant = change(actor=request.user, worker=worker, qualification=qualification, **data)
    return Response(GrantSerializer(grant).data, status=http_status)


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
        return _grant_change(
            request,
            qualification_id,
            GrantInputSerializer,
            qualification_grants.qualification_grant,
            status.HTTP_201_CREATED,
        )


class QualificationRevokeApi(APIView):
    permission_classes = [IsManager]

    @extend_schema(
        summary="Revoke by hand",
        request=RevokeInputSerializer,
        responses={200: GrantSerializer, 400: _error, 404: _error},
    )
    def post(self, request, qualification_id: int):
        return _grant_change(
            request,
            qualification_id,
            RevokeInputSerializer,
            qualification_grants.qualification_revoke,
            status.HTTP_200_OK,
        )
