"""Read-only admin views of the money: the ledger is changed by services only (and the database
refuses edits of entries and transactions anyway). Every payments model is registered here, and
none can be added, changed or deleted by hand: staff act through the product's pages (payout
queue, deposits, reconciliation), which keep the ledger and the rows in step."""

from django.contrib import admin

from payments.models import (
    Bonus,
    CardPayment,
    CardRefund,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payout,
    PayoutAccount,
    ProjectEscrow,
    ReconciliationIssue,
    WebhookEvent,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EntryInline(admin.TabularInline):
    model = LedgerEntry
    fields = ["account", "amount_cents"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ["code", "kind", "balance_cents", "may_go_negative"]
    list_filter = ["kind"]
    search_fields = ["code"]


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "memo", "project", "created_at"]
    list_filter = ["kind"]
    inlines = [EntryInline]


@admin.register(CardPayment)
class CardPaymentAdmin(ReadOnlyAdmin):
    list_display = ["payment_intent_id", "requester_account", "amount_cents", "status"]
    list_filter = ["status"]


class WebhookEventStatusFilter(admin.SimpleListFilter):
    """Failed for good (no more retries), pending (due again later) or processed."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("failed", "Failed for good"), ("pending", "Pending"), ("processed", "Processed")]

    def queryset(self, request, queryset):
        if self.value() == "failed":
            return queryset.filter(failed_at__isnull=False)
        if self.value() == "pending":
            return queryset.filter(processed_at__isnull=True, failed_at__isnull=True)
        if self.value() == "processed":
            return queryset.filter(processed_at__isnull=False)
        return queryset


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = [
        "event_id",
        "type",
        "status",
        "attempts",
        "received_at",
        "next_attempt_at",
        "processed_at",
        "failed_at",
    ]
    list_filter = [WebhookEventStatusFilter, "type"]
    search_fields = ["event_id", "last_error"]
    readonly_fields = ["status"]

    @admin.display(description="status")
    def status(self, obj: WebhookEvent) -> str:
        return obj.status


@admin.register(Bonus)
class BonusAdmin(ReadOnlyAdmin):
    list_display = ["id", "requester_account", "worker", "amount_cents", "created_at"]


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ["id", "worker", "amount_cents", "status", "requested_at", "paid_at"]
    list_filter = ["status"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "transaction", "account", "amount_cents"]
    list_select_related = ["transaction", "account"]
    search_fields = ["account__code", "transaction__idempotency_key"]


@admin.register(ProjectEscrow)
class ProjectEscrowAdmin(ReadOnlyAdmin):
    list_display = [
        "project",
        "reserved_regular_assignments",
        "reserved_cents",
        "paid_assignments",
        "released",
    ]
    list_filter = ["released"]
    list_select_related = ["project"]


@admin.register(PayoutAccount)
class PayoutAccountAdmin(ReadOnlyAdmin):
    list_display = [
        "provider_account_id",
        "worker",
        "details_submitted",
        "payouts_enabled",
        "refreshed_at",
    ]
    list_filter = ["payouts_enabled"]
    list_select_related = ["worker"]
    search_fields = ["provider_account_id", "worker__email"]


@admin.register(CardRefund)
class CardRefundAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "requester_account",
        "card_payment",
        "amount_cents",
        "status",
        "provider_refund_id",
        "created_at",
    ]
    list_filter = ["status"]
    list_select_related = ["requester_account", "card_payment"]
    search_fields = ["provider_refund_id", "card_payment__payment_intent_id"]


@admin.register(ReconciliationIssue)
class ReconciliationIssueAdmin(ReadOnlyAdmin):
    list_display = [
        "kind",
        "reference",
        "expected_cents",
        "provider_cents",
        "found_at",
        "last_seen_at",
        "resolved_at",
    ]
    list_filter = ["kind", ("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["reference"]
