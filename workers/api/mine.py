"""A worker's own: qualifications held, notifications, eligibility for a project."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsWorker
from config.api import error_response
from marketplace.selectors.projects import project_list_open_for_work
from workers.api.common import (
    _error,
)
from workers.api.serializers import (
    GrantSerializer,
    NotificationSerializer,
    ReasonSerializer,
)
from workers.eligibility import unmet_requirements
from workers.models import (
    Notification,
    WorkerQualification,
)
from workers.selectors import workforce as selectors
from workers.services import notifications


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
        marked = notifications.notification_mark_read(
            worker=request.user, notification_id=notification_id
        )
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
