"""The single seam between the marketplace and payments (issue #7).

- ``funding_reserve``: publishing a project, raising its overlap or adding tasks to a live
  project reserves escrow for the assignments it may now pay for.
- ``funding_pay``: an approved answer moves its reward from escrow to the worker, with the fee.
- ``funding_refund_rejected``: a rejected answer returns its reward to escrow (its task takes
  another answer, which the reservation then pays).

Until the payments ledger exists every project counts as funded and nothing moves; the payments
issue gives these bodies (callers already hold the locks and the transaction, and turn
``InsufficientFundsError`` into a clear message).
"""

from marketplace.models import Assignment, Project


class InsufficientFundsError(Exception):
    """The requester account cannot cover the reservation; the message says how much is missing."""


def funding_reserve(*, project: Project, assignments: int) -> None:
    """Reserve reward and fees for ``assignments`` more paid assignments of ``project``.
    Caller holds the row lock on the project and is inside its transaction."""
    if assignments < 0:
        raise ValueError("Cannot reserve a negative number of assignments.")


def funding_pay(*, assignment: Assignment) -> None:
    """Pay an approved answer. Caller holds the assignment's row lock, in its transaction."""


def funding_refund_rejected(*, assignment: Assignment) -> None:
    """Return a rejected answer's reward to escrow. Caller holds the assignment's row lock."""
