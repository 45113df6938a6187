"""Who may work on which project: a seam that the workforce side fills.

The marketplace hands out tasks but does not own qualifications, suspensions or blocks: those
live in the workers app, a higher layer that imports the marketplace. So the marketplace owns
this small interface and ``WorkersConfig.ready()`` registers the policy that answers it
(``workers.eligibility``). Claim asks the registered policy; with none registered (the
marketplace on its own) every worker may work on every active project.
"""

from collections.abc import Iterable, Iterator
from typing import Protocol

from accounts.models import User


class EligibilityPolicy(Protocol):
    def ensure_eligible(self, *, worker: User, project_id: int) -> None:
        """Raise a ``ProjectNotAvailable`` subclass saying why the worker may not work here."""

    def eligible_project_ids(self, *, worker: User, project_ids: Iterable[int]) -> Iterator[int]:
        """The ids among ``project_ids`` (kept in order) the worker may work on."""


_policy: EligibilityPolicy | None = None


def eligibility_policy_register(policy: EligibilityPolicy) -> None:
    """Called once at start-up by the app that owns the rules."""
    global _policy
    _policy = policy


def ensure_eligible(*, worker: User, project_id: int) -> None:
    if _policy is not None:
        _policy.ensure_eligible(worker=worker, project_id=project_id)


def eligible_project_ids(*, worker: User, project_ids: Iterable[int]) -> Iterable[int]:
    if _policy is None:
        return project_ids
    return _policy.eligible_project_ids(worker=worker, project_ids=project_ids)
