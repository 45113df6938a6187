"""Payments models: the ledger and card payments (``core``), payouts (``payouts``), refunds and
reconciliation (``refunds``). Import them from ``payments.models``."""

from payments.models.core import (
    EXTERNAL_KINDS,
    AccountKind,
    Bonus,
    CardPayment,
    CardPaymentStatus,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    ProjectEscrow,
    TransactionKind,
    WebhookEvent,
)
from payments.models.payouts import Payout, PayoutAccount, PayoutMethod, PayoutStatus
from payments.models.refunds import (
    CardRefund,
    CardRefundStatus,
    ReconciliationIssue,
)

__all__ = [
    "EXTERNAL_KINDS",
    "AccountKind",
    "Bonus",
    "CardPayment",
    "CardPaymentStatus",
    "CardRefund",
    "CardRefundStatus",
    "LedgerAccount",
    "LedgerEntry",
    "LedgerTransaction",
    "Payout",
    "PayoutAccount",
    "PayoutMethod",
    "PayoutStatus",
    "ProjectEscrow",
    "ReconciliationIssue",
    "TransactionKind",
    "WebhookEvent",
]
