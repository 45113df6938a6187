"""Receivers of lower layers' signals, connected in ``WorkersConfig.ready()``."""

from payments import money
from workers.services.notifications import notification_create


def payout_failed_notify(sender, *, payout, message: str, **kwargs) -> None:
    """``payments.signals.payout_failed``: tell the worker why the money is back."""
    notification_create(
        worker=payout.worker,
        text=(
            f"Your payout of {money.format_cents(payout.amount_cents)} could not be sent "
            f"({message[:200]}). The amount is back in your balance; check your payout account "
            "and ask again."
        ),
    )
