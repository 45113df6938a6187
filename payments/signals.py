"""Signals payments sends for higher layers to act on. Payments sits below marketplace and the
workforce side and never imports them; an app that wants to react connects a receiver in its
``AppConfig.ready()``.

``payout_failed``
    Stripe refused a payout's transfer for good and the amount went back to the worker's payable
    balance. Sent with ``sender=Payout`` and the keyword arguments ``payout`` (the failed
    ``Payout``, already saved as failed) and ``message`` (Stripe's reason, as given). It is sent
    synchronously inside the transaction that fails the payout, so a receiver's writes commit or
    roll back with it; a receiver that raises rolls the failure back too, and the transfer task
    retries. Connected by ``workers.apps.WorkersConfig.ready`` (the worker's notification).
"""

from django.dispatch import Signal

payout_failed = Signal()
