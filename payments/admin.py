"""Read-only admin views of the money: the ledger is changed by services only (and the database
refuses edits of entries and transactions anyway)."""

from django.contrib import admin

from payments.models import (
    Bonus,
    CardPayment,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payout,
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


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "type", "received_at", "processed_at", "attempts"]
    list_filter = ["type"]


@admin.register(Bonus)
class BonusAdmin(ReadOnlyAdmin):
    list_display = ["id", "requester_account", "worker", "amount_cents", "created_at"]


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ["id", "worker", "amount_cents", "status", "requested_at", "paid_at"]
    list_filter = ["status"]
