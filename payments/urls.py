from django.urls import path

from payments import views, views_ledger, webhooks

app_name = "payments"
urlpatterns = [
    path("funds/", views.funds, name="funds"),
    path("funds/refunds/", views.refund_new, name="refund_new"),
    path("projects/<int:project_id>/reviews/", views.review_queue, name="review_queue"),
    path(
        "assignments/<int:assignment_id>/approve/",
        views.review_one,
        {"action": "approve"},
        name="assignment_approve",
    ),
    path(
        "assignments/<int:assignment_id>/reject/",
        views.review_one,
        {"action": "reject"},
        name="assignment_reject",
    ),
    path("projects/<int:project_id>/bonuses/", views.bonus_new, name="bonus_new"),
    path("earnings/", views.earnings, name="earnings"),
    path("payouts/new/", views.payout_new, name="payout_new"),
    path("payout-account/connect/", views.payout_account_connect, name="payout_account_connect"),
    path("payout-account/relink/", views.payout_account_connect, name="payout_account_relink"),
    path("payout-account/return/", views.payout_account_return, name="payout_account_return"),
    path("payouts/", views.payout_queue, name="payout_queue"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
    path("ledger/", views_ledger.ledger_overview, name="ledger"),
    path("deposits/", views.deposit_new, name="deposit_new"),
    path("stripe/webhook/", webhooks.stripe_webhook, name="stripe_webhook"),
]
