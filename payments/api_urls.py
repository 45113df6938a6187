"""Payments API routes, included under /api/v1/ (before the marketplace's project routes, whose
``projects/<id>/<action>/`` would otherwise catch ``reviews/``)."""

from django.urls import path

from payments import api, api_ledger, api_payouts, api_reviews

urlpatterns = [
    path("funds/", api.FundsApi.as_view(), name="funds"),
    path("funds/ledger/", api.LedgerHistoryApi.as_view(), name="funds_ledger"),
    path("funds/card-payments/", api.CardPaymentListCreateApi.as_view(), name="card_payments"),
    path("funds/deposits/", api.DepositApi.as_view(), name="deposits"),
    path("funds/refunds/", api.RefundListCreateApi.as_view(), name="refunds"),
    path(
        "projects/<int:project_id>/reviews/",
        api_reviews.ProjectReviewsApi.as_view(),
        name="project_reviews",
    ),
    path(
        "assignments/<int:assignment_id>/approve/",
        api_reviews.AssignmentApproveApi.as_view(),
        name="assignment_approve",
    ),
    path(
        "assignments/<int:assignment_id>/reject/",
        api_reviews.AssignmentRejectApi.as_view(),
        name="assignment_reject",
    ),
    path("bonuses/", api_reviews.BonusListCreateApi.as_view(), name="bonuses"),
    path("earnings/", api.EarningsApi.as_view(), name="earnings"),
    path("payouts/", api_payouts.WorkerPayoutsApi.as_view(), name="payouts"),
    path("payout-account/", api_payouts.PayoutAccountApi.as_view(), name="payout_account"),
    path(
        "payout-account/onboarding-link/",
        api_payouts.PayoutAccountLinkApi.as_view(),
        name="payout_account_link",
    ),
    path(
        "payout-account/refresh/",
        api_payouts.PayoutAccountRefreshApi.as_view(),
        name="payout_account_refresh",
    ),
    path("staff/payouts/", api_payouts.PayoutQueueApi.as_view(), name="staff_payouts"),
    path(
        "staff/payouts/approve/",
        api_payouts.PayoutBulkApproveApi.as_view(),
        name="staff_payouts_bulk_approve",
    ),
    path(
        "staff/reconciliation/",
        api_payouts.ReconciliationIssuesApi.as_view(),
        name="staff_reconciliation",
    ),
    path(
        "staff/webhook-events/",
        api_payouts.WebhookEventsApi.as_view(),
        name="staff_webhook_events",
    ),
    path("staff/ledger/", api_ledger.LedgerOverviewApi.as_view(), name="staff_ledger"),
    path(
        "staff/ledger/transactions/",
        api_ledger.LedgerJournalApi.as_view(),
        name="staff_ledger_transactions",
    ),
    path(
        "staff/reconciliation/run/",
        api_payouts.ReconciliationRunApi.as_view(),
        name="staff_reconciliation_run",
    ),
    path(
        "staff/payouts/export/", api_payouts.PayoutExportApi.as_view(), name="staff_payouts_export"
    ),
    path(
        "staff/payouts/<int:payout_id>/<str:action>/",
        api_payouts.PayoutActionApi.as_view(),
        name="staff_payout_action",
    ),
]
