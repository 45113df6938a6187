"""Payouts API: the worker's Stripe payout account (status, onboarding link, refresh), payout
requests, the staff queue (approve, hold, cancel, paid, bulk) and the CSV bank batch. Thin:
validate, call a service or selector, serialise (errors: config.api)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsStaff, IsWorker
from config.api import error_response
from payments import stripe_client
from payments.models import (
    Payout,
    PayoutMethod,
    PayoutStatus,
    ReconciliationIssue,
    WebhookEvent,
)
from payments.responses import onboarding_urls, payouts_csv_response
from payments.selectors import payouts as selectors
from payments.services import connect
from payments.services.payouts import (
    PayoutError,
    payout_act,
    payout_method_default,
    payout_request,
    payouts_approve_many,
)
from payments.services.reconciliation import reconciliation_run

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
            "approved_at",
            "paid_at",
            "transfer_attempts",
            "last_error",
        ]


class PayoutRequestSerializer(serializers.Serializer):
    amount_cents = serializers.IntegerField(min_value=1)
    method = serializers.ChoiceField(
        choices=PayoutMethod.choices,
        required=False,
        help_text="Default: stripe when the worker's payout account can receive payouts.",
    )


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
        payout = payout_request(
            worker=request.user,
            amount_cents=serializer.validated_data["amount_cents"],
            method=serializer.validated_data.get("method"),
        )
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
        return payouts_csv_response(
            selectors.payout_queue(status=PayoutStatus.APPROVED).filter(method=PayoutMethod.MANUAL)
        )


class PayoutAccountSerializer(serializers.Serializer):
    connect_available = serializers.BooleanField()
    status = serializers.ChoiceField(
        choices=["none", "onboarding", "pending_review", "enabled"],
        help_text="none: no Stripe account yet.",
    )
    provider_account_id = serializers.CharField(allow_null=True)
    details_submitted = serializers.BooleanField()
    payouts_enabled = serializers.BooleanField()
    default_method = serializers.ChoiceField(choices=PayoutMethod.choices)


def _account_data(worker, account) -> dict:
    return {
        "connect_available": connect.connect_available(),
        "status": account.status if account else "none",
        "provider_account_id": account.provider_account_id if account else None,
        "details_submitted": bool(account and account.details_submitted),
        "payouts_enabled": bool(account and account.payouts_enabled),
        "default_method": payout_method_default(worker=worker),
    }


class PayoutAccountApi(APIView):
    """The worker's Stripe Connect payout account."""

    permission_classes = [IsWorker]

    @extend_schema(responses=PayoutAccountSerializer, operation_id="v1_payout_account_retrieve")
    def get(self, request):
        account = connect.payout_account_for(worker=request.user)
        return Response(PayoutAccountSerializer(_account_data(request.user, account)).data)


class PayoutAccountRefreshApi(APIView):
    """Ask Stripe for the account's current state (after onboarding)."""

    permission_classes = [IsWorker]

    @extend_schema(
        request=None, responses=PayoutAccountSerializer, operation_id="v1_payout_account_refresh"
    )
    def post(self, request):
        try:
            account = connect.payout_account_refresh_for(worker=request.user)
        except connect.ConnectError as error:
            return error_response("provider_unavailable", str(error), status.HTTP_502_BAD_GATEWAY)
        return Response(PayoutAccountSerializer(_account_data(request.user, account)).data)


class OnboardingLinkRequestSerializer(serializers.Serializer):
    return_url = serializers.URLField(required=False, help_text="Default: the earnings page.")
    refresh_url = serializers.URLField(
        required=False, help_text="Where Stripe sends an expired link. Default: a new link."
    )


class PayoutAccountLinkApi(APIView):
    """Create the Stripe account if needed and return a one-time onboarding URL."""

    permission_classes = [IsWorker]

    @extend_schema(
        request=OnboardingLinkRequestSerializer,
        responses={201: inline_serializer("OnboardingLink", {"url": serializers.URLField()})},
        operation_id="v1_payout_account_onboarding_link",
    )
    def post(self, request):
        serializer = OnboardingLinkRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        urls = {**onboarding_urls(request), **serializer.validated_data}
        url = connect.payout_account_onboarding_link(worker=request.user, **urls)
        return Response({"url": url}, status=status.HTTP_201_CREATED)


class ReconciliationIssueSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReconciliationIssue
        fields = [
            "id",
            "kind",
            "reference",
            "expected_cents",
            "provider_cents",
            "detail",
            "found_at",
            "last_seen_at",
            "resolved_at",
        ]


class ReconciliationIssuesApi(generics.ListAPIView):
    """Staff: differences between the ledger and Stripe (open ones; ``?all=1`` for all)."""

    permission_classes = [IsStaff]
    serializer_class = ReconciliationIssueSerializer

    @extend_schema(
        parameters=[OpenApiParameter("all", bool)], operation_id="v1_staff_reconciliation_list"
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        issues = ReconciliationIssue.objects.all()
        if self.request.query_params.get("all") in ("1", "true"):
            return issues
        return issues.filter(resolved_at__isnull=True)


class WebhookEventSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=selectors.WEBHOOK_EVENT_STATUSES, read_only=True)

    class Meta:
        model = WebhookEvent
        fields = [
            "id",
            "event_id",
            "type",
            "status",
            "attempts",
            "last_error",
            "received_at",
            "next_attempt_at",
            "failed_at",
            "processed_at",
        ]


class WebhookEventsApi(generics.ListAPIView):
    """Staff: stored Stripe events by status; by default those that failed for good (after
    the last retry), which nothing tries again."""

    permission_classes = [IsStaff]
    serializer_class = WebhookEventSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=list(selectors.WEBHOOK_EVENT_STATUSES)),
        ],
        operation_id="v1_staff_webhook_events_list",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        wanted = self.request.query_params.get("status") or "failed"
        if wanted not in selectors.WEBHOOK_EVENT_STATUSES:
            raise serializers.ValidationError(
                {"status": [f"One of: {', '.join(selectors.WEBHOOK_EVENT_STATUSES)}."]}
            )
        return selectors.webhook_events_by_status(status=wanted)


class ReconciliationRunApi(APIView):
    """Staff: run the reconciliation now (the same job runs hourly)."""

    permission_classes = [IsStaff]

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "ReconciliationRun",
            {"open": serializers.IntegerField(), "resolved": serializers.IntegerField()},
        ),
        operation_id="v1_staff_reconciliation_run",
    )
    def post(self, request):
        try:
            return Response(reconciliation_run())
        except stripe_client.ProviderError as error:
            return error_response("provider_unavailable", str(error), status.HTTP_502_BAD_GATEWAY)
