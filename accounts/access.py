"""Whether an active user's API access is on hold: a seam that higher layers fill.

Accounts authenticates API tokens but does not own suspensions: those live in the workers app,
the top layer. So accounts owns this small registry and ``WorkersConfig.ready()``
(``workers.receivers.connect``) registers a source that answers it. The token authentication
(``accounts.authentication``) asks it when it reads a token from the database and refuses the
token while any source gives a reason; the answer is cached with the token, and whoever changes
it calls ``accounts.authentication.user_tokens_refresh`` so the next request sees the change.
docs/security.md, "Suspended workers: no payouts, no tokens".
"""

from collections.abc import Callable, Iterable

from accounts.models import User

# A source takes the user (keyword ``user``) and returns the reasons, for that user, why their
# API access is on hold (empty when none).
AccessHoldSource = Callable[..., Iterable[str]]

_sources: dict[str, AccessHoldSource] = {}


def access_hold_source_register(name: str, source: AccessHoldSource) -> None:
    """Called at start-up by the app that owns a reason; registering a name again replaces it."""
    _sources[name] = source


def access_hold_reasons(*, user: User) -> list[str]:
    reasons: list[str] = []
    for source in _sources.values():
        reasons.extend(source(user=user))
    return reasons
