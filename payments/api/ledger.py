"""Staff API of the ledger: ``GET staff/ledger/`` (balances per account kind, ``?check=1`` for
the integrity re-count) and ``GET staff/ledger/transactions/`` (the journal, newest first,
keyset-paginated with ``before``)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsStaff
from config.api import error_response
from payments.models import LedgerEntry, LedgerTransaction, TransactionKind
from payments.selectors.ledger import journal_page, ledger_checks, ledger_totals


class KindTotalSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    accounts = serializers.IntegerField()
    balance_cents = serializers.IntegerField()


class LedgerChecksSerializer(serializers.Serializer):
    balances_sum_cents = serializers.IntegerField()
    unbalanced_transactions = serializers.IntegerField()
    balance_drift_accounts = serializers.IntegerField()


class LedgerOverviewApi(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        operation_id="v1_staff_ledger_overview",
        parameters=[OpenApiParameter("check", int, enum=[0, 1], description="1: re-count")],
        responses=inline_serializer(
            "LedgerOverview",
            {
                "totals": KindTotalSerializer(many=True),
                "checks": LedgerChecksSerializer(allow_null=True),
            },
        ),
    )
    def get(self, request):
        checks = ledger_checks() if request.query_params.get("check") == "1" else None
        return Response(
            {
                "totals": KindTotalSerializer(ledger_totals(), many=True).data,
                "checks": LedgerChecksSerializer(checks).data if checks else None,
            }
        )


class JournalEntrySerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.code")
    account_kind = serializers.CharField(source="account.kind")

    class Meta:
        model = LedgerEntry
        fields = ["account", "account_kind", "amount_cents"]


class JournalTransactionSerializer(serializers.ModelSerializer):
    entries = JournalEntrySerializer(many=True)

    class Meta:
        model = LedgerTransaction
        fields = ["id", "kind", "memo", "created_at", "project", "assignment", "entries"]


class LedgerJournalApi(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        operation_id="v1_staff_ledger_transactions",
        parameters=[
            OpenApiParameter("kind", str, enum=TransactionKind.values),
            OpenApiParameter("account", str, description="An account code, exactly."),
            OpenApiParameter("before", int, description="`next_before` of the previous page."),
        ],
        responses=inline_serializer(
            "LedgerJournalPage",
            {
                "results": JournalTransactionSerializer(many=True),
                "next_before": serializers.IntegerField(allow_null=True),
            },
        ),
    )
    def get(self, request):
        params = request.query_params
        kind, before = params.get("kind", ""), params.get("before")
        if kind and kind not in TransactionKind.values:
            return error_response(
                "invalid",
                "Unknown transaction kind.",
                fields={"kind": [f"{kind!r} is not a transaction kind."]},
            )
        if before is not None and not before.isdigit():
            return error_response(
                "invalid", "Invalid page.", fields={"before": ["A transaction id."]}
            )
        rows, next_before = journal_page(
            kind=kind,
            account_code=params.get("account", "").strip(),
            before_id=int(before) if before else None,
        )
        return Response(
            {
                "results": JournalTransactionSerializer(rows, many=True).data,
                "next_before": next_before,
            }
        )
