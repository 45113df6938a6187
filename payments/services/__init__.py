"""Payments services: funds coming in (deposits, cards) and payouts."""

from payments.services.funds import (
    FundingError,
    card_payment_failed,
    card_payment_start,
    card_payment_succeeded,
    funds_deposit,
)
from payments.services.payouts import (
    PayoutError,
    payout_approve,
    payout_cancel,
    payout_hold,
    payout_mark_paid,
    payout_request,
    payouts_approve_many,
    payouts_export_csv,
)

__all__ = [
    "FundingError",
    "PayoutError",
    "card_payment_failed",
    "card_payment_start",
    "card_payment_succeeded",
    "funds_deposit",
    "payout_approve",
    "payout_cancel",
    "payout_hold",
    "payout_mark_paid",
    "payout_request",
    "payouts_approve_many",
    "payouts_export_csv",
]
