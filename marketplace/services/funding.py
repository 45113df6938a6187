"""The marketplace's money operations, in the words of its services (issue #7). Callers hold the
locks and the transaction, and turn ``InsufficientFundsError`` into a clear message. The bodies
live in ``marketplace.services.escrow``, which writes through ``payments.ledger`` (the only
writer of ledger entries): money flows down the layers, never up. Design in docs/ledger.md.

- ``funding_reserve``: publishing a project or raising its overlap reserves reward x (1 + fee)
  for the regular assignments it may now pay for, plus the gold assignments that come with them.
- ``funding_pay``: an approved answer moves its reward from escrow to the worker's payable
  balance and its fee to the platform (the project's fee shard, so approvals in different
  projects run side by side).
- ``funding_pay_many``: the same for a batch of a project's answers, one lock round and one
  insert for the lot (bulk review, auto-approval); answers short of funds are refused alone.
- ``funding_refund_rejected``: a rejected answer moves nothing — its reward stays in escrow,
  because its task re-opens the slot and the replacement answer is paid from it.
- ``funding_release``: completing or archiving a project returns unspent escrow.
"""

from collections.abc import Sequence

from marketplace.models import Assignment, Project
from marketplace.services.escrow import (
    InsufficientFundsError,
    escrow_pay,
    escrow_pay_many,
    escrow_release,
    escrow_reserve,
)

__all__ = [
    "InsufficientFundsError",
    "funding_pay",
    "funding_pay_many",
    "funding_refund_rejected",
    "funding_release",
    "funding_reserve",
]


def funding_reserve(*, project: Project, assignments: int) -> None:
    """Reserve reward and fees for ``assignments`` more regular assignments of ``project``.
    Caller holds the row lock on the project and is inside its transaction."""
    escrow_reserve(project=project, regular_assignments=assignments)


def funding_pay(*, assignment: Assignment) -> None:
    """Pay an approved answer. Caller holds the assignment's row lock, in its transaction."""
    escrow_pay(assignment=assignment)


def funding_pay_many(*, project: Project, assignments: Sequence[Assignment]) -> dict[int, int]:
    """Pay approved answers of ``project`` together (bulk and auto-approval). Caller holds their
    row locks. Returns the ids refused for lack of funds, with the cents each lacked."""
    return escrow_pay_many(project=project, assignments=assignments)


def funding_refund_rejected(*, assignment: Assignment) -> None:
    """A rejected answer's reward stays in escrow for the answer that replaces it; nothing
    moves. Caller holds the assignment's row lock."""


def funding_release(*, project: Project) -> None:
    """Release what the project's escrow no longer needs. Caller holds the project's row lock."""
    escrow_release(project=project)
