"""Payments services, one module per flow: ``funds`` (deposits, card payments), ``payouts``,
``transfers`` (Stripe Connect), ``connect`` (payout accounts), ``refunds``, ``reconciliation`` and
``webhook_events`` (stored Stripe events). Escrow and bonuses are the marketplace's
(marketplace/services/escrow.py, bonuses.py): they know projects and answers.

Import from the module that defines a name (``from payments.services.payouts import
payout_request``). This package re-exports nothing on purpose: a re-export here would run every
service module whenever any one of them is imported, and tie them into one import cycle.
"""
