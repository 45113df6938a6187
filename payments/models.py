"""Ledger, funding and payouts arrive with the payments issue (#7)."""
