"""Payments services, one module per flow: ``escrow`` (reserve, pay, release), ``funds``
(deposits, card payments), ``bonuses``, ``payouts``, ``transfers`` (Stripe Connect), ``connect``
(payout accounts), ``refunds``, ``reconciliation`` and ``webhook_events`` (stored Stripe events).

Import from the module that defines a name (``from payments.services.payouts import
payout_request``). This package re-exports nothing on purpose: a re-export here would run every
service module whenever any one of them is imported, and tie them into one import cycle.
"""
