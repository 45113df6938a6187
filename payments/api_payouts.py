"""Payouts API: worker requests, the staff queue (approve, hold, cancel, paid, bulk) and the
CSV bank batch. Thin: validate, call a service or selector, serialise (errors: config.api)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsStaff, IsWorker
from config.api import error_response
from payments import selectors
from payments.models import Payout, PayoutStatus
from payments.services import (
    PayoutError,
    payout_request,
    payouts_approve_many,
)
from payments.services.payouts import payout_act
from payments.views import payouts_csv_response

MAX_BULK_REVIEW = 1000


class PayoutSerializer(serializers.ModelSerializer):
    worker_email = serializers.EmailField(source="worker.email", read_only=True)

    class Meta:
        model = Payout
        fields = [
            "id",
            "worker_id",
            "worker_email",
            "amount_cents",
            "method",
            "status",
            "reference",
            "note",
            "requested_at",
            "paid_at",
        ]


class PayoutRequestSerializer(serializers.Serializer):
    amount_cents = serializers.IntegerField(min_value=1)


class WorkerPayoutsApi(APIView):
    """A worker's payouts (GET) and a new payout request (POST)."""

    permission_classes = [IsWorker]

    @extend_schema(responses=PayoutSerializer(many=True), operation_id="v1_payouts_list")
    def get(self, request):
        payouts = selectors.payouts_for_worker(worker=request.user).select_related("worker")
        return Response(PayoutSerializer(payouts[:200], many=True).data)

    @extend_schema(
        request=PayoutRequestSerializer,
        responses={201: PayoutSerializer},
        operation_id="v1_payouts_create",
    )
    def post(self, request):
        serializer = PayoutRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            payout = payout_request(
                worker=request.user, amount_cents=serializer.validated_data["amount_cents"]
            )
        except PayoutError as error:
            return error_response("payout_refused", str(error))
        return Response(PayoutSerializer(payout).data, status=status.HTTP_201_CREATED)


class PayoutQueueApi(generics.ListAPIView):
    """Staff: payouts not yet paid or cancelled, oldest first (``?status=`` to filter)."""

    permission_classes = [IsStaff]
    serializer_class = PayoutSerializer

    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=[s.value for s in PayoutStatus])],
        operation_id="v1_staff_payouts_list",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.payout_queue(status=self.request.query_params.get("status"))


class PayoutBulkApproveSerializer(serializers.Serializer):
    payout_ids = serializers.ListField(
        child=serializers.IntegerField(), min_length=1, max_length=1000
    )


class PayoutBulkApproveApi(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        request=PayoutBulkApproveSerializer,
        responses=inline_serializer(
            "PayoutBulkResult",
            {"approved": serializers.IntegerField(), "refused": serializers.IntegerField()},
        ),
        operation_id="v1_staff_payouts_bulk_approve",
    )
    def post(self, request):
        serializer = PayoutBulkApproveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(
            payouts_approve_many(
                payout_ids=serializer.validated_data["payout_ids"], staff=request.user
            )
        )


class PayoutActionSerializer(serializers.Serializer):
    reference = serializers.CharField(required=False, allow_blank=True, max_length=150)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class PayoutActionApi(APIView):
    """Staff: ``approve``, ``hold``, ``cancel`` (money back to the worker) or ``paid`` (with the
    bank ``reference``)."""

    permission_classes = [IsStaff]

    @extend_schema(
        request=PayoutActionSerializer,
        responses=PayoutSerializer,
        operation_id="v1_staff_payouts_action",
    )
    def post(self, request, payout_id: int, action: str):
        serializer = PayoutActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            payout = payout_act(
                payout_id=payout_id,
                action=action,
                staff=request.user,
                reference=data.get("reference", ""),
                note=data.get("note", ""),
            )
        except PayoutError as error:
            return error_response("payout_refused", str(error), status.HTTP_409_CONFLICT)
        return Response(PayoutSerializer(payout).data)


class PayoutExportApi(APIView):
    """Staff: approved payouts as a bank-transfer batch (CSV)."""

    permission_classes = [IsStaff]

    @extend_schema(
        responses={(200, "text/csv"): OpenApiTypes.STR}, operation_id="v1_staff_payouts_export"
    )
    def get(self, request):
        return payouts_csv_response(selectors.payout_queue(status=PayoutStatus.APPROVED))
