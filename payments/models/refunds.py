"""Refunds of unspent funds to the card, and differences found by reconciliation."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import RequesterAccount


class CardRefundStatus(models.TextChoices):
    PENDING = "pending", "Sent to Stripe"
    SUCCEEDED = "succeeded", "Refunded"
    FAILED = "failed", "Failed, returned to available funds"


class CardRefund(models.Model):
    """Part of a refund request, against one card payment. The amount is reserved (available →
    refunds in flight) when the row is created; Stripe's confirmation moves it out to the card,
    a refusal moves it back. ``pk`` is in the Stripe idempotency key and metadata, so a retry
    finds the refund instead of making a second one."""

    requester_account = models.ForeignKey(
        RequesterAccount, on_delete=models.PROTECT, related_name="card_refunds"
    )
    card_payment = models.ForeignKey(
        "payments.CardPayment", on_delete=models.PROTECT, related_name="refunds"
    )
    amount_cents = models.PositiveIntegerField()
    status = models.CharField(
        max_length=16, choices=CardRefundStatus.choices, default=CardRefundStatus.PENDING
    )
    provider_refund_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    # The client's key for the whole request (several rows may share it).
    request_key = models.CharField(max_length=100)
    last_error = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="card_refund_positive"),
            models.UniqueConstraint(
                fields=["request_key", "card_payment"], name="card_refund_once_per_request"
            ),
        ]

    def __str__(self):
        return f"Refund of {self.amount_cents} cents on {self.card_payment_id} ({self.status})"


class ReconciliationIssue(models.Model):
    """A difference between the ledger and Stripe. One open row per (kind, reference); a later
    run that no longer sees the difference marks it resolved."""

    kind = models.CharField(max_length=50)
    # What it is about: ``payout:12``, ``card_payment:pi_…``, ``transfer:tr_…``.
    reference = models.CharField(max_length=150)
    expected_cents = models.BigIntegerField(null=True, blank=True)
    provider_cents = models.BigIntegerField(null=True, blank=True)
    detail = models.CharField(max_length=500)
    found_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-found_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "reference"],
                condition=Q(resolved_at__isnull=True),
                name="reconciliation_issue_open_once",
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.reference}"
