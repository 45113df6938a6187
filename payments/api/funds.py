"""Payments API: funds, ledger history, card top-ups, bank deposits and worker earnings. Thin:
validate, call a service or selector, serialise. Errors use ``config.api.error_response``."""

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import RequesterAccount
from accounts.permissions import IsRequester, IsStaff
from config.api import error_response
from payments.models import CardPayment, CardRefund, LedgerEntry
from payments.selectors import funds as selectors
from payments.services.funds import card_payment_start, funds_deposit
from payments.services.refunds import RefundError, funds_refund

MAX_BULK_REVIEW = 1000

_KEY_REUSED = OpenApiResponse(
    description='`{"error": {"code", "message", "fields"}}`; code `idempotency_key_reused` when '
    "the key (or the reference) was already used for a request with other parameters."
)


def _idempotency_key(request) -> str | None:
    """The request's Idempotency-Key header, or None when it is missing or too long: money
    movements started over the API are never repeated by a client's retry."""
    key = request.headers.get("Idempotency-Key", "").strip()
    return key if 0 < len(key) <= 100 else None


def _key_required():
    return error_response(
        "idempotency_key_required", "Send an Idempotency-Key header (up to 100 chars)."
    )


class EscrowLineSerializer(serializers.Serializer):
    project_id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()
    balance_cents = serializers.IntegerField()
    paid_assignments = serializers.IntegerField()


class FundsSerializer(serializers.Serializer):
    available_cents = serializers.IntegerField()
    escrow_cents = serializers.IntegerField()
    escrows = EscrowLineSerializer(many=True)


class LedgerEntrySerializer(serializers.ModelSerializer):
    kind = serializers.CharField(source="transaction.kind")
    memo = serializers.CharField(source="transaction.memo")
    transaction_id = serializers.IntegerField()
    account = serializers.CharField(source="account.kind")
    project_id = serializers.IntegerField(source="transaction.project_id", allow_null=True)
    created_at = serializers.DateTimeField(source="transaction.created_at")

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "transaction_id",
            "kind",
            "memo",
            "account",
            "amount_cents",
            "project_id",
            "created_at",
        ]


class CardPaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = CardPayment
        fields = [
            "id",
            "payment_intent_id",
            "amount_cents",
            "status",
            "failure_message",
            "created_at",
            "credited_at",
        ]


class FundsApi(APIView):
    permission_classes = [IsRequester]

    @extend_schema(responses=FundsSerializer, operation_id="v1_funds_retrieve")
    def get(self, request):
        summary = selectors.funds_summary(requester_account=request.user.requester_account)
        return Response(FundsSerializer(summary).data)


class LedgerHistoryApi(generics.ListAPIView):
    """The organisation's ledger entries (available funds and project escrow), newest first."""

    permission_classes = [IsRequester]
    serializer_class = LedgerEntrySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return LedgerEntry.objects.none()
        return selectors.ledger_entries_for_requester(
            requester_account=self.request.user.requester_account
        )


class CardPaymentCreateSerializer(serializers.Serializer):
    amount_cents = serializers.IntegerField(min_value=1)
    payment_method = serializers.CharField(
        max_length=100, help_text="A Stripe PaymentMethod id, e.g. from Stripe.js."
    )


class CardPaymentListCreateApi(APIView):
    permission_classes = [IsRequester]

    @extend_schema(responses=CardPaymentSerializer(many=True), operation_id="v1_card_payments_list")
    def get(self, request):
        payments = selectors.card_payments_for(requester_account=request.user.requester_account)
        return Response(CardPaymentSerializer(payments[:100], many=True).data)

    @extend_schema(
        request=CardPaymentCreateSerializer,
        responses={202: CardPaymentSerializer, 409: _KEY_REUSED},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                location=OpenApiParameter.HEADER,
                required=True,
                description="Repeating a request with the same key reuses its payment.",
            )
        ],
        operation_id="v1_card_payments_create",
        description="Charge a card. The balance is credited when Stripe's webhook confirms the "
        "payment, so the answer is 202 with status ``created``.",
    )
    def post(self, request):
        serializer = CardPaymentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = _idempotency_key(request)
        if key is None:
            return _key_required()
        payment = card_payment_start(
            user=request.user,
            amount_cents=serializer.validated_data["amount_cents"],
            payment_method=serializer.validated_data["payment_method"],
            request_key=key,
        )
        return Response(CardPaymentSerializer(payment).data, status=status.HTTP_202_ACCEPTED)


class CardRefundSerializer(serializers.ModelSerializer):
    payment_intent_id = serializers.CharField(source="card_payment.payment_intent_id")

    class Meta:
        model = CardRefund
        fields = [
            "id",
            "payment_intent_id",
            "amount_cents",
            "status",
            "provider_refund_id",
            "last_error",
            "created_at",
            "confirmed_at",
        ]


class RefundCreateSerializer(serializers.Serializer):
    amount_cents = serializers.IntegerField(min_value=1)


class RefundListCreateApi(APIView):
    """Refunds of unspent funds to the cards they came from (newest payment first)."""

    permission_classes = [IsRequester]

    @extend_schema(responses=CardRefundSerializer(many=True), operation_id="v1_refunds_list")
    def get(self, request):
        refunds = CardRefund.objects.filter(
            requester_account=request.user.requester_account
        ).select_related("card_payment")
        return Response(CardRefundSerializer(refunds[:100], many=True).data)

    @extend_schema(
        request=RefundCreateSerializer,
        responses={201: CardRefundSerializer(many=True), 409: _KEY_REUSED},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                location=OpenApiParameter.HEADER,
                required=True,
                description="Repeating a request with the same key refunds nothing more.",
            )
        ],
        operation_id="v1_refunds_create",
        description="One refund per card payment used. ``succeeded`` ones are back on the card; "
        "``pending`` ones are confirmed by Stripe later; ``failed`` ones are back in available "
        "funds.",
    )
    def post(self, request):
        serializer = RefundCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = _idempotency_key(request)
        if key is None:
            return _key_required()
        try:
            refunds = funds_refund(
                user=request.user,
                amount_cents=serializer.validated_data["amount_cents"],
                request_key=key,
            )
        except RefundError as error:
            return error_response(
                error.code,
                str(error),
                status.HTTP_409_CONFLICT,
                fields={"amount_cents": [str(error)]},
            )
        return Response(
            CardRefundSerializer(refunds, many=True).data, status=status.HTTP_201_CREATED
        )


class DepositSerializer(serializers.Serializer):
    requester_account_id = serializers.IntegerField()
    amount_cents = serializers.IntegerField(min_value=1)
    reference = serializers.CharField(max_length=150)


class DepositApi(APIView):
    """Staff record a bank transfer received from an organisation (once per organisation and
    reference)."""

    permission_classes = [IsStaff]

    @extend_schema(
        request=DepositSerializer,
        responses={
            201: inline_serializer("Deposit", {"transaction_id": serializers.IntegerField()}),
            409: _KEY_REUSED,
        },
        operation_id="v1_deposits_create",
    )
    def post(self, request):
        serializer = DepositSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        account = RequesterAccount.objects.filter(
            pk=serializer.validated_data["requester_account_id"]
        ).first()
        if account is None:
            return error_response("not_found", "No such organisation.", status.HTTP_404_NOT_FOUND)
        posted = funds_deposit(
            requester_account=account,
            amount_cents=serializer.validated_data["amount_cents"],
            reference=serializer.validated_data["reference"],
            created_by=request.user,
        )
        return Response({"transaction_id": posted.pk}, status=status.HTTP_201_CREATED)
