"""Payments services: escrow (reserve, pay, release), funds coming in (deposits, cards),
bonuses and payouts."""

from payments.services.bonuses import BonusError, bonus_grant
from payments.services.escrow import (
    InsufficientFundsError,
    escrow_pay,
    escrow_release,
    escrow_reserve,
)
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
    "BonusError",
    "FundingError",
    "InsufficientFundsError",
    "PayoutError",
    "bonus_grant",
    "card_payment_failed",
    "card_payment_start",
    "card_payment_succeeded",
    "escrow_pay",
    "escrow_release",
    "escrow_reserve",
    "funds_deposit",
    "payout_approve",
    "payout_cancel",
    "payout_hold",
    "payout_mark_paid",
    "payout_request",
    "payouts_approve_many",
    "payouts_export_csv",
]
