from django.urls import path

from payments import webhooks
from payments.views import funds, ledger, payouts

app_name = "payments"
urlpatterns = [
    path("funds/", funds.funds, name="funds"),
    path("funds/refunds/", funds.refund_new, name="refund_new"),
    path("payouts/new/", payouts.payout_new, name="payout_new"),
    path("payout-account/connect/", payouts.payout_account_connect, name="payout_account_connect"),
    path("payout-account/relink/", payouts.payout_account_relink, name="payout_account_relink"),
    path("payout-account/return/", payouts.payout_account_return, name="payout_account_return"),
    path("payouts/", payouts.payout_queue, name="payout_queue"),
    path("reconciliation/", payouts.reconciliation, name="reconciliation"),
    path("ledger/", ledger.ledger_overview, name="ledger"),
    path("deposits/", funds.deposit_new, name="deposit_new"),
    path("stripe/webhook/", webhooks.stripe_webhook, name="stripe_webhook"),
]
