from django.urls import path

from payments import views, webhooks

app_name = "payments"
urlpatterns = [
    path("funds/", views.funds, name="funds"),
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
    path("payouts/", views.payout_queue, name="payout_queue"),
    path("deposits/", views.deposit_new, name="deposit_new"),
    path("stripe/webhook/", webhooks.stripe_webhook, name="stripe_webhook"),
]
