"""The single hook between the marketplace and payments (issue #7).

Publishing a project, raising its overlap or adding tasks to a live project calls
``funding_reserve`` for the assignments it may now pay for. Until the payments ledger exists
every project counts as funded; the payments issue replaces the body with an escrow reservation
that raises ``InsufficientFunds`` (and the callers already turn that into a clear message).
"""

from marketplace.models import Project


class InsufficientFundsError(Exception):
    """The requester account cannot cover the reservation; the message says how much is missing."""


def funding_reserve(*, project: Project, assignments: int) -> None:
    """Reserve reward and fees for ``assignments`` more paid assignments of ``project``.
    Caller holds the row lock on the project and is inside its transaction."""
    if assignments < 0:
        raise ValueError("Cannot reserve a negative number of assignments.")
