"""Worker payouts and the Stripe Connect accounts they can be sent to. Transitions live in
``payments.services.payouts`` (manual) and ``payments.services.transfers`` (Stripe)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class PayoutAccount(models.Model):
    """A worker's Stripe Connect Express account. Created once per worker; onboarding happens on
    Stripe's pages, and ``payouts_enabled`` mirrors Stripe (refreshed on return and by the
    ``account.updated`` webhook)."""

    worker = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payout_account"
    )
    provider_account_id = models.CharField(max_length=100, unique=True)
    details_submitted = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    refreshed_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Payout account {self.provider_account_id} of worker {self.worker_id}"

    @property
    def status(self) -> str:
        if self.payouts_enabled:
            return "enabled"
        return "pending_review" if self.details_submitted else "onboarding"


class PayoutStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved, awaiting transfer"
    HELD = "held", "On hold"
    PAID = "paid", "Paid"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed, returned to your balance"


class PayoutMethod(models.TextChoices):
    MANUAL = "manual", "Bank transfer (manual batch)"
    STRIPE = "stripe", "Stripe Connect transfer"


class Payout(models.Model):
    """A worker's request to be paid their approved earnings. Requesting moves the amount from
    the payable balance to payouts in flight; paying moves it out to the bank; cancelling (or a
    refused Stripe transfer) moves it back."""

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts"
    )
    amount_cents = models.PositiveIntegerField()
    method = models.CharField(
        max_length=16, choices=PayoutMethod.choices, default=PayoutMethod.MANUAL
    )
    status = models.CharField(
        max_length=16, choices=PayoutStatus.choices, default=PayoutStatus.REQUESTED
    )
    # The bank's reference (manual) or Stripe's transfer id, once paid.
    reference = models.CharField(max_length=150, blank=True)
    note = models.CharField(max_length=300, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    # Stripe method: the connected account, fixed at request time so every retry of the transfer
    # sends the same parameters under the same key.
    destination_account_id = models.CharField(max_length=100, blank=True)
    # Set (committed) at approval, before any call to Stripe: every attempt reuses it.
    idempotency_key = models.CharField(max_length=100, unique=True, null=True, blank=True)
    transfer_attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="payout_positive"),
            models.CheckConstraint(
                condition=Q(status="paid", paid_at__isnull=False)
                | (~Q(status="paid") & Q(paid_at__isnull=True)),
                name="payout_paid_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(method="stripe", status__in=["approved", "paid", "failed"])
                | Q(idempotency_key__isnull=False),
                name="payout_stripe_key_before_sending",
            ),
            models.CheckConstraint(
                condition=Q(method="manual") | ~Q(destination_account_id=""),
                name="payout_stripe_has_destination",
            ),
        ]
        indexes = [models.Index(fields=["status", "requested_at"], name="payout_queue")]

    def __str__(self):
        return f"Payout {self.pk} of {self.amount_cents} cents ({self.status})"
