"""The ledger (accounts, transactions, entries), project escrow bookkeeping, card payments and
Stripe webhook events. Design: docs/ledger.md.

Sign convention: an entry's ``amount_cents`` is what it adds to its account's balance; the entries
of one transaction add up to zero. The database enforces the rules that matter (migration 0002):
a deferred constraint trigger refuses an unbalanced or one-legged transaction at commit, entries
and transactions cannot be updated or deleted, and an insert trigger keeps each account's cached
``balance_cents`` equal to the sum of its entries, where a CHECK refuses a negative balance on
accounts that must not go below zero.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import RequesterAccount


class AccountKind(models.TextChoices):
    REQUESTER_AVAILABLE = "requester_available", "Requester available funds"
    PROJECT_ESCROW = "project_escrow", "Project escrow"
    # Kept for a future hold period between approval and payability; approval pays straight to
    # the payable balance today (docs/ledger.md).
    WORKER_PENDING = "worker_pending", "Worker pending earnings"
    WORKER_PAYABLE = "worker_payable", "Worker payable balance"
    PLATFORM_FEES = "platform_fees", "Platform fees"
    PAYOUTS_IN_FLIGHT = "payouts_in_flight", "Payouts in flight"
    # Refunds to the card asked for but not yet confirmed by Stripe: reserved, not spendable.
    REFUNDS_IN_FLIGHT = "refunds_in_flight", "Refunds in flight"
    EXTERNAL_CARD = "external_card", "Card processor (external)"
    EXTERNAL_BANK = "external_bank", "Bank (external)"


# The outside world: money comes from there, so these balances run negative.
EXTERNAL_KINDS = {AccountKind.EXTERNAL_CARD, AccountKind.EXTERNAL_BANK}


class LedgerAccount(models.Model):
    # Stable name such as ``requester:12`` or ``platform_fees``: one account per owner and kind.
    code = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=32, choices=AccountKind.choices)
    requester_account = models.ForeignKey(
        RequesterAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    project = models.ForeignKey(
        "marketplace.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    may_go_negative = models.BooleanField(default=False)
    # Sum of this account's entries, maintained by a database trigger on entry insert.
    balance_cents = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_cents__gte=0) | Q(may_go_negative=True),
                name="ledger_account_not_overdrawn",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[choice.value for choice in AccountKind]),
                name="ledger_account_kind_known",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.code})"


class TransactionKind(models.TextChoices):
    DEPOSIT = "deposit", "Deposit by bank transfer"
    CARD_FUNDING = "card_funding", "Card payment"
    RESERVE = "reserve", "Escrow reserved"
    PAY = "pay", "Approved answer paid"
    RELEASE = "release", "Unspent escrow released"
    BONUS = "bonus", "Bonus"
    PAYOUT_REQUEST = "payout_request", "Payout requested"
    PAYOUT_PAID = "payout_paid", "Payout sent"
    PAYOUT_CANCEL = "payout_cancel", "Payout cancelled"
    PAYOUT_FAILED = "payout_failed", "Payout failed, returned to the balance"
    REFUND_REQUEST = "refund_request", "Refund to card requested"
    REFUND_PAID = "refund_paid", "Refunded to card"
    REFUND_CANCEL = "refund_cancel", "Refund failed, returned to available funds"


class LedgerTransaction(models.Model):
    kind = models.CharField(max_length=32, choices=TransactionKind.choices)
    memo = models.CharField(max_length=300, blank=True)
    # Makes a movement happen once: a repeated call with the same key finds this row.
    idempotency_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    project = models.ForeignKey(
        "marketplace.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A reference only: ledger history outlives any constraint games on assignments.
    assignment = models.ForeignKey(
        "marketplace.Assignment",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"


class LedgerEntry(models.Model):
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    amount_cents = models.BigIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_cents=0), name="ledger_entry_not_zero"),
        ]
        indexes = [models.Index(fields=["account", "-id"], name="ledger_entry_account_history")]

    def __str__(self):
        return f"{self.amount_cents:+d} to account {self.account_id}"


class ProjectEscrow(models.Model):
    """What a project's escrow was reserved for and has paid, so fees and reservations follow
    the cumulative arithmetic of ``payments.money`` (no rounding drift)."""

    project = models.OneToOneField(
        "marketplace.Project", on_delete=models.PROTECT, related_name="escrow"
    )
    account = models.OneToOneField(LedgerAccount, on_delete=models.PROTECT, related_name="+")
    reserved_regular_assignments = models.PositiveIntegerField(default=0)
    reserved_cents = models.BigIntegerField(default=0)
    paid_assignments = models.PositiveIntegerField(default=0)
    released = models.BooleanField(default=False)

    def __str__(self):
        return f"Escrow of project {self.project_id}"


class CardPaymentStatus(models.TextChoices):
    CREATED = "created", "Awaiting payment"
    SUCCEEDED = "succeeded", "Paid"
    FAILED = "failed", "Failed"


class CardPayment(models.Model):
    """A requester's top-up by card: a Stripe PaymentIntent. Funds are credited by the signed
    webhook only (``payments.webhooks``), never by what the browser reports."""

    requester_account = models.ForeignKey(
        RequesterAccount, on_delete=models.PROTECT, related_name="card_payments"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    payment_intent_id = models.CharField(max_length=100, unique=True)
    amount_cents = models.PositiveIntegerField()
    status = models.CharField(
        max_length=16, choices=CardPaymentStatus.choices, default=CardPaymentStatus.CREATED
    )
    failure_message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    credited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="card_payment_positive"),
        ]

    def __str__(self):
        return f"Card payment {self.payment_intent_id} ({self.status})"


class WebhookEvent(models.Model):
    """Each Stripe event, stored by its id before anything acts on it.

    ``attempts`` counts every try, failed or not. After a failure ``next_attempt_at`` moves
    back by a growing delay (``payments.services.webhook_events.retry_delay``); after the last
    allowed attempt ``failed_at`` is set and only staff look at it again. Pending means neither
    ``processed_at`` nor ``failed_at`` is set."""

    event_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            # The retry job's query: pending events that are due, soonest first.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(processed_at__isnull=True, failed_at__isnull=True),
                name="webhook_event_due",
            ),
            models.Index(
                fields=["-failed_at"],
                condition=Q(failed_at__isnull=False),
                name="webhook_event_failed",
            ),
        ]

    def __str__(self):
        return f"{self.type} {self.event_id}"

    @property
    def status(self) -> str:
        if self.processed_at is not None:
            return "processed"
        if self.failed_at is not None:
            return "failed"
        return "pending"


class Bonus(models.Model):
    """A requester's extra payment to a worker, with a message the worker sees. The client's key
    makes it happen once: repeating a request with the same key returns this row."""

    requester_account = models.ForeignKey(
        RequesterAccount, on_delete=models.PROTECT, related_name="bonuses"
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bonuses"
    )
    project = models.ForeignKey(
        "marketplace.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount_cents = models.PositiveIntegerField()
    fee_cents = models.PositiveIntegerField()
    message = models.CharField(max_length=500)
    client_key = models.CharField(max_length=100)
    ledger_transaction = models.OneToOneField(
        LedgerTransaction, on_delete=models.PROTECT, related_name="bonus"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["requester_account", "client_key"], name="bonus_client_key_once"
            ),
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="bonus_positive"),
        ]

    def __str__(self):
        return f"Bonus of {self.amount_cents} cents to worker {self.worker_id}"
