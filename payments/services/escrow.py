"""Escrow: a project's reservation of its requester's funds, and payments out of it.

- Publishing (or raising overlap on a live project) reserves the cost of the regular slots, plus
  the gold assignments that come with them and the platform fee: ``money.cost_cents`` of
  ``money.paid_assignments_for`` those slots, cumulatively, so the reservation equals the cost
  estimate the requester was shown.
- An approval moves the reward to the worker's payable balance and that assignment's share of
  the cumulative fee to the platform. If escrow runs short (more gold answers than the ratio
  predicted, or a project that was never reserved for) the rest comes from available funds.
- A rejection moves nothing: the reward stays in escrow for the replacement answer.
- Completing or archiving a project releases what open work (live and pending answers) cannot
  still need back to available funds.

Lock order, after the caller's (project or assignment, then task): the escrow row, then the ledger
accounts in id order.
"""

from django.db import transaction
from django.db.models import Q

from marketplace.models import Assignment, AssignmentStatus, Project, ReviewStatus
from payments import ledger, money
from payments.models import LedgerTransaction, ProjectEscrow, TransactionKind


class InsufficientFundsError(Exception):
    """The requester account cannot cover a movement; the message says how much is missing."""


def _escrow_locked(project: Project) -> ProjectEscrow:
    escrow = ProjectEscrow.objects.select_for_update().filter(project_id=project.pk).first()
    if escrow is None:
        account = ledger.project_escrow_account(project)
        ProjectEscrow.objects.get_or_create(project_id=project.pk, defaults={"account": account})
        escrow = ProjectEscrow.objects.select_for_update().get(project_id=project.pk)
    return escrow


def _reservation_cents(project: Project, regular_assignments: int) -> int:
    assignments = money.paid_assignments_for(regular_assignments, project.gold_ratio)
    return money.cost_cents(assignments=assignments, reward_cents=project.reward_cents)


@transaction.atomic
def escrow_reserve(*, project: Project, regular_assignments: int) -> int:
    """Reserve funds for ``regular_assignments`` more regular slots; returns the cents moved.
    Caller holds the project's row lock. Raises ``InsufficientFundsError`` and moves nothing
    when the available funds fall short."""
    if regular_assignments < 0:
        raise ValueError("Cannot reserve a negative number of assignments.")
    escrow = _escrow_locked(project)
    before = escrow.reserved_regular_assignments
    after = before + regular_assignments
    amount = _reservation_cents(project, after) - _reservation_cents(project, before)
    if amount > 0:
        available = ledger.requester_available_account(project.account_id)
        try:
            ledger.transfer(
                source=available,
                destination=escrow.account,
                amount_cents=amount,
                kind=TransactionKind.RESERVE,
                memo=f"Escrow for {regular_assignments} more assignments of “{project.title}”",
                project=project,
            )
        except ledger.OverdraftError as error:
            raise InsufficientFundsError(
                f"Not enough funds: this needs {money.format_cents(amount)} in escrow (rewards "
                f"and fees) but the account has {money.format_cents(error.balance_cents)} "
                f"available. Add at least {money.format_cents(error.missing_cents)}."
            ) from error
    escrow.reserved_regular_assignments = after
    escrow.reserved_cents += amount
    escrow.save(update_fields=["reserved_regular_assignments", "reserved_cents"])
    return amount


@transaction.atomic
def escrow_pay(*, assignment: Assignment) -> None:
    """Pay an approved answer. Caller holds the assignment's row lock. Paying the same
    assignment twice moves nothing the second time (idempotency key per assignment)."""
    project = assignment.project
    key = f"pay:assignment:{assignment.pk}"
    escrow = _escrow_locked(project)
    if LedgerTransaction.objects.filter(idempotency_key=key).exists():
        return
    number = escrow.paid_assignments + 1
    reward = project.reward_cents
    fee = money.nth_assignment_fee_cents(n=number, reward_cents=reward)
    if reward + fee > 0:
        available = ledger.requester_available_account(project.account_id)
        locked = ledger.lock_accounts([escrow.account, available])
        from_escrow = min(locked[escrow.account_id].balance_cents, reward + fee)
        legs = [
            (escrow.account, -from_escrow),
            (available, -(reward + fee - from_escrow)),
            (ledger.worker_payable_account(assignment.worker_id), reward),
            (ledger.platform_fees_account(), fee),
        ]
        try:
            ledger.post(
                kind=TransactionKind.PAY,
                legs=legs,
                memo=f"Approved answer {assignment.pk} of “{project.title}”",
                idempotency_key=key,
                project=project,
                assignment=assignment,
            )
        except ledger.OverdraftError as error:
            raise InsufficientFundsError(
                "This project's escrow is used up and the account lacks "
                f"{money.format_cents(error.missing_cents)} to pay this answer; add funds."
            ) from error
    escrow.paid_assignments = number
    escrow.save(update_fields=["paid_assignments"])


def _open_work(project: Project) -> int:
    """Assignments that may still be approved: live ones and answers awaiting review."""
    return Assignment.objects.filter(
        Q(status=AssignmentStatus.LIVE)
        | Q(status=AssignmentStatus.SUBMITTED, review_status=ReviewStatus.PENDING),
        project=project,
    ).count()


@transaction.atomic
def escrow_release(*, project: Project) -> int:
    """Return escrow that the project's open work cannot still need to available funds; returns
    the cents released. Safe to call again (it releases only what is left over)."""
    escrow = ProjectEscrow.objects.select_for_update().filter(project_id=project.pk).first()
    if escrow is None:
        return 0
    open_work = _open_work(project)
    reward = project.reward_cents
    paid = escrow.paid_assignments
    still_needed = open_work * reward + (
        money.fee_cents((paid + open_work) * reward) - money.fee_cents(paid * reward)
    )
    balance = ledger.lock_accounts([escrow.account])[escrow.account_id].balance_cents
    amount = balance - still_needed
    if amount > 0:
        ledger.transfer(
            source=escrow.account,
            destination=ledger.requester_available_account(project.account_id),
            amount_cents=amount,
            kind=TransactionKind.RELEASE,
            memo=f"Unspent escrow of “{project.title}” ({project.get_status_display().lower()})",
            project=project,
        )
    escrow.released = True
    escrow.save(update_fields=["released"])
    return max(amount, 0)
