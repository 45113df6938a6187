"""Reviews and bonuses API: a project's answers awaiting review, approve/reject (one or bulk),
bonuses. Thin: validate, call a service or selector, serialise (errors: config.api)."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import IsRequester
from config.api import error_response
from marketplace.models import Assignment
from marketplace.selectors import project_get_for_requester
from marketplace.services.reviews import (
    ReviewError,
    assignment_approve,
    assignment_reject,
    assignments_review,
)
from payments import selectors
from payments.models import Bonus
from payments.services.bonuses import BonusError, bonus_grant
from payments.services.escrow import InsufficientFundsError

MAX_BULK_REVIEW = 1000


class PendingAnswerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    task_id = serializers.IntegerField()
    worker_id = serializers.IntegerField()
    is_gold = serializers.BooleanField()
    answer = serializers.JSONField()
    submitted_at = serializers.DateTimeField()


class BulkReviewSerializer(serializers.Serializer):
    assignment_ids = serializers.ListField(
        child=serializers.IntegerField(), min_length=1, max_length=MAX_BULK_REVIEW
    )
    action = serializers.ChoiceField(choices=["approve", "reject"])
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000)

    def validate(self, data):
        if data["action"] == "reject" and not data.get("reason", "").strip():
            raise serializers.ValidationError({"reason": ["A rejection needs a reason."]})
        return data


class ProjectReviewsApi(generics.GenericAPIView):
    """A project's answers awaiting review (GET) and bulk approve/reject (POST)."""

    permission_classes = [IsRequester]
    serializer_class = PendingAnswerSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Assignment.objects.none()
        project = project_get_for_requester(
            user=self.request.user, project_id=self.kwargs["project_id"]
        )
        return selectors.review_queue(project=project)

    @extend_schema(responses=PendingAnswerSerializer(many=True), operation_id="v1_reviews_list")
    def get(self, request, project_id: int):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PendingAnswerSerializer(page, many=True).data)

    @extend_schema(
        request=BulkReviewSerializer,
        responses=inline_serializer(
            "BulkReviewResult",
            {"reviewed": serializers.IntegerField(), "refused": serializers.IntegerField()},
        ),
        operation_id="v1_reviews_bulk",
    )
    def post(self, request, project_id: int):
        project = project_get_for_requester(user=request.user, project_id=project_id)
        serializer = BulkReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            counts = assignments_review(
                project=project,
                assignment_ids=serializer.validated_data["assignment_ids"],
                approve=serializer.validated_data["action"] == "approve",
                reason=serializer.validated_data.get("reason", ""),
                reviewer=request.user,
            )
        except InsufficientFundsError as error:
            return error_response(
                "insufficient_funds", str(error), status.HTTP_402_PAYMENT_REQUIRED
            )
        return Response(counts)


class ReviewResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    review_status = serializers.CharField()
    rejection_reason = serializers.CharField()
    reviewed_at = serializers.DateTimeField()


class AssignmentApproveApi(APIView):
    permission_classes = [IsRequester]

    @extend_schema(
        request=None, responses=ReviewResultSerializer, operation_id="v1_assignment_approve"
    )
    def post(self, request, assignment_id: int):
        assignment = selectors.assignment_get_for_requester(
            user=request.user, assignment_id=assignment_id
        )
        try:
            assignment = assignment_approve(assignment_id=assignment.pk, project=assignment.project)
        except ReviewError as error:
            return error_response("review_refused", str(error), status.HTTP_409_CONFLICT)
        except InsufficientFundsError as error:
            return error_response(
                "insufficient_funds", str(error), status.HTTP_402_PAYMENT_REQUIRED
            )
        return Response(ReviewResultSerializer(assignment).data)


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=1000, help_text="Shown to the worker.")


class AssignmentRejectApi(APIView):
    permission_classes = [IsRequester]

    @extend_schema(
        request=RejectSerializer,
        responses=ReviewResultSerializer,
        operation_id="v1_assignment_reject",
    )
    def post(self, request, assignment_id: int):
        assignment = selectors.assignment_get_for_requester(
            user=request.user, assignment_id=assignment_id
        )
        serializer = RejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            assignment = assignment_reject(
                assignment_id=assignment.pk,
                project=assignment.project,
                reason=serializer.validated_data["reason"],
            )
        except ReviewError as error:
            return error_response("review_refused", str(error), status.HTTP_409_CONFLICT)
        return Response(ReviewResultSerializer(assignment).data)


class BonusSerializer(serializers.ModelSerializer):
    class Meta:
        model = Bonus
        fields = [
            "id",
            "worker_id",
            "project_id",
            "amount_cents",
            "fee_cents",
            "message",
            "client_key",
            "created_at",
        ]


class BonusCreateSerializer(serializers.Serializer):
    worker_id = serializers.IntegerField()
    amount_cents = serializers.IntegerField(min_value=1)
    message = serializers.CharField(max_length=500)
    client_key = serializers.CharField(max_length=100, help_text="Makes a retry pay once.")
    project_id = serializers.IntegerField(required=False, allow_null=True)


class BonusListCreateApi(APIView):
    permission_classes = [IsRequester]

    @extend_schema(responses=BonusSerializer(many=True), operation_id="v1_bonuses_list")
    def get(self, request):
        bonuses = Bonus.objects.filter(requester_account_id=request.user.requester_account_id)
        return Response(BonusSerializer(bonuses[:200], many=True).data)

    @extend_schema(
        request=BonusCreateSerializer,
        responses={201: BonusSerializer},
        operation_id="v1_bonuses_create",
        description="Pay a worker who answered your tasks. Repeating the request with the same "
        "``client_key`` returns the first bonus and pays nothing more.",
    )
    def post(self, request):
        serializer = BonusCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        project = None
        if data.get("project_id"):
            project = project_get_for_requester(user=request.user, project_id=data["project_id"])
        worker = User.objects.filter(pk=data["worker_id"]).first()
        if worker is None:
            return error_response("bonus_refused", "Bonuses go to workers who answered your tasks.")
        try:
            bonus = bonus_grant(
                granted_by=request.user,
                worker=worker,
                amount_cents=data["amount_cents"],
                message=data["message"],
                client_key=data["client_key"],
                project=project,
            )
        except BonusError as error:
            return error_response("bonus_refused", str(error))
        except InsufficientFundsError as error:
            return error_response(
                "insufficient_funds", str(error), status.HTTP_402_PAYMENT_REQUIRED
            )
        return Response(BonusSerializer(bonus).data, status=status.HTTP_201_CREATED)
