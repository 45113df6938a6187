"""Why a worker may not be paid out right now: a seam that higher layers fill.

Payments pays workers but does not own suspensions: those live in the workers app, a higher
layer that imports payments. So payments owns this small registry and
``WorkersConfig.ready()`` (``workers.receivers.connect``) registers a source that answers it.
Payments itself adds the one reason it can see: a deactivated user (``is_active`` false, read
from the database, not from the possibly cached user object of the request).

Asked by ``payments.services.payouts`` before a payout is requested (the worker's page and API,
the automatic payout job) or approved, and by ``payments.services.transfers`` before a Stripe
transfer is first sent. With no source registered (payments on its own) only deactivation holds
payouts. docs/security.md, "Suspended workers: no payouts, no tokens".
"""

from collections.abc import Callable, Iterable

from accounts.models import User

# A source takes the worker (keyword ``worker``) and returns the reasons, for the worker, that
# hold their payouts (empty when none).
PayoutHoldSource = Callable[..., Iterable[str]]

_sources: dict[str, PayoutHoldSource] = {}


def payout_hold_source_register(name: str, source: PayoutHoldSource) -> None:
    """Called at start-up by the app that owns a reason; registering a name again replaces it."""
    _sources[name] = source


def payout_hold_reasons(*, worker: User) -> list[str]:
    """The reasons the worker's payouts are held now; empty when they may be paid."""
    reasons = []
    if not User.objects.filter(pk=worker.pk, is_active=True).exists():
        reasons.append("This account is deactivated.")
    for source in _sources.values():
        reasons.extend(source(worker=worker))
    return reasons
