"""Payments API routes (funds, payouts, the staff ledger and reconciliation), included under
/api/v1/."""

from django.urls import path

from payments.api import funds, ledger, payouts

urlpatterns = [
    path("funds/", funds.FundsApi.as_view(), name="funds"),
    path("funds/ledger/", funds.LedgerHistoryApi.as_view(), name="funds_ledger"),
    path("funds/card-payments/", funds.CardPaymentListCreateApi.as_view(), name="card_payments"),
    path("funds/deposits/", funds.DepositApi.as_view(), name="deposits"),
    path("funds/refunds/", funds.RefundListCreateApi.as_view(), name="refunds"),
    path("payouts/", payouts.WorkerPayoutsApi.as_view(), name="payouts"),
    path("payout-account/", payouts.PayoutAccountApi.as_view(), name="payout_account"),
    path(
        "payout-account/onboarding-link/",
        payouts.PayoutAccountLinkApi.as_view(),
        name="payout_account_link",
    ),
    path(
        "payout-account/refresh/",
        payouts.PayoutAccountRefreshApi.as_view(),
        name="payout_account_refresh",
    ),
    path("staff/payouts/", payouts.PayoutQueueApi.as_view(), name="staff_payouts"),
    path(
        "staff/payouts/approve/",
        payouts.PayoutBulkApproveApi.as_view(),
        name="staff_payouts_bulk_approve",
    ),
    path(
        "staff/reconciliation/",
        payouts.ReconciliationIssuesApi.as_view(),
        name="staff_reconciliation",
    ),
    path(
        "staff/webhook-events/",
        payouts.WebhookEventsApi.as_view(),
        name="staff_webhook_events",
    ),
    path("staff/ledger/", ledger.LedgerOverviewApi.as_view(), name="staff_ledger"),
    path(
        "staff/ledger/transactions/",
        ledger.LedgerJournalApi.as_view(),
        name="staff_ledger_transactions",
    ),
    path(
        "staff/reconciliation/run/",
        payouts.ReconciliationRunApi.as_view(),
        name="staff_reconciliation_run",
    ),
    path("staff/payouts/export/", payouts.PayoutExportApi.as_view(), name="staff_payouts_export"),
    path(
        "staff/payouts/<int:payout_id>/<str:action>/",
        payouts.PayoutActionApi.as_view(),
        name="staff_payout_action",
    ),
]
