"""Escrow: a project's reservation of its requester's funds, and payments out of it.

- Publishing (or raising overlap on a live project) reserves the cost of the regular slots, plus
  the gold assignments that come with them and the platform fee: ``money.cost_cents`` of
  ``money.paid_assignments_for`` those slots, cumulatively, so the reservation equals the cost
  estimate the requester was shown.
- An approval moves the reward to the worker's payable balance and that assignment's share of
  the cumulative fee to the project's platform-fee shard (``ledger.platform_fees_code``: approvals
  in different projects do not share a fee row), one PAY transaction per answer; bulk approval
  pays a batch of a project's answers with one lock round and one insert (``escrow_pay_many``).
  If escrow runs short (more gold answers than the ratio predicted, or a project that was never
  reserved for) the rest comes from available funds.
- A rejection moves nothing: the reward stays in escrow for the replacement answer.
- Completing or archiving a project releases what open work (live and pending answers) cannot
  still need back to available funds.

The marketplace's services (projects, imports, reviews) call these directly, holding the row lock
of what they change and its transaction, and turn ``InsufficientFundsError`` into a clear
message; every entry is written through ``payments.ledger`` (money flows down the layers). Lock
order, after the caller's (project or assignment, then task): the escrow row, then the ledger
accounts in id order. Design: docs/ledger.md.
"""

from collections import defaultdict
from collections.abc import Sequence

from django.db import transaction
from django.db.models import Q

from config.errors import DomainError
from marketplace.models import Assignment, AssignmentStatus, Project, ReviewStatus
from payments import ledger, money
from payments.models import LedgerTransaction, ProjectEscrow, TransactionKind


class InsufficientFundsError(DomainError):
    """The requester account cannot cover a movement; the message says how much is missing."""

    code, http_status = "insufficient_funds", 402


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


@transaction.atomic(savepoint=False)
def escrow_pay(*, assignment: Assignment) -> None:
    """Pay an approved answer. Caller holds the assignment's row lock. Paying the same
    assignment twice moves nothing the second time (idempotency key per assignment). Raises
    ``InsufficientFundsError`` and moves nothing when escrow and available funds fall short."""
    refused = escrow_pay_many(project=assignment.project, assignments=[assignment])
    if refused:
        raise InsufficientFundsError(
            "This project's escrow is used up and the account lacks "
            f"{money.format_cents(refused[assignment.pk])} to pay this answer; add funds."
        )


@transaction.atomic(savepoint=False)
def escrow_pay_many(*, project: Project, assignments: Sequence[Assignment]) -> dict[int, int]:
    """Pay approved answers of ``project`` in the given order with one lock round and one
    insert for the lot. Caller holds the assignments' row locks. Answers already paid are
    skipped; an answer that escrow plus available funds cannot cover is refused and the ones
    after it are still tried, as one-by-one approvals would go. Returns the refused ids with
    the cents each lacked.

    One answer: one PAY transaction (escrow → worker payable + fee). Several: one PAY
    transaction for the batch moves the rewards and fees out of escrow (rewards into each
    worker's pending account, aggregated), then one PAY transaction per answer moves its reward
    from pending to payable, so every answer still has its own traceable, idempotent payment
    (``pay:assignment:<id>``) while the hot escrow and fee rows change once per batch, not once
    per answer (docs/ledger.md, Throughput). Pending accounts are back to zero at commit."""
    escrow = _escrow_locked(project)
    keys = {f"pay:assignment:{assignment.pk}": assignment for assignment in assignments}
    done = set(
        LedgerTransaction.objects.filter(idempotency_key__in=keys).values_list(
            "idempotency_key", flat=True
        )
    )
    to_pay = [assignment for key, assignment in keys.items() if key not in done]
    if not to_pay:
        return {}
    accounts = ledger.lock_pay_accounts(
        requester_account_id=project.account_id,
        project_id=project.pk,
        worker_ids=(assignment.worker_id for assignment in to_pay),
        pending=len(to_pay) > 1,
    )
    if accounts.escrow.pk != escrow.account_id:
        raise RuntimeError(f"Escrow of project {project.pk} is not account escrow:{project.pk}.")
    in_escrow, in_available = accounts.escrow.balance_cents, accounts.available.balance_cents
    reward, first, number = project.reward_cents, escrow.paid_assignments, escrow.paid_assignments
    paid: list[tuple[Assignment, int, int, int]] = []  # (answer, from escrow, from funds, fee)
    refused = {}
    for assignment in to_pay:
        fee = money.nth_assignment_fee_cents(n=number + 1, reward_cents=reward)
        from_escrow = min(in_escrow, reward + fee)
        from_available = reward + fee - from_escrow
        if from_available > in_available:
            refused[assignment.pk] = from_available - in_available
            continue
        in_escrow -= from_escrow
        in_available -= from_available
        number += 1
        if reward + fee:
            paid.append((assignment, from_escrow, from_available, fee))
    if paid:
        postings = _batch_postings if accounts.pending and reward else _single_postings
        ledger.post_many(
            postings(project, accounts, paid, first_number=first), locked=accounts.by_id()
        )
    escrow.paid_assignments = number
    escrow.save(update_fields=["paid_assignments"])
    return refused


def _answer_memo(project: Project, assignment: Assignment) -> str:
    return f"Approved answer {assignment.pk} of “{project.title}”"


def _single_postings(project, accounts, paid, *, first_number):
    """One PAY transaction per answer, straight from escrow (and funds) to worker and fee."""
    return [
        ledger.Posting(
            kind=TransactionKind.PAY,
            legs=(
                (accounts.escrow, -from_escrow),
                (accounts.available, -from_available),
                (accounts.payable[assignment.worker_id], project.reward_cents),
                (accounts.fees, fee),
            ),
            memo=_answer_memo(project, assignment),
            idempotency_key=f"pay:assignment:{assignment.pk}",
            project_id=project.pk,
            assignment_id=assignment.pk,
        )
        for assignment, from_escrow, from_available, fee in paid
    ]


def _batch_postings(project, accounts, paid, *, first_number):
    """The batch's PAY transaction (keyed by the range of the project's paid-answer counter,
    which only grows under the escrow lock) and one pending → payable PAY per answer."""
    rewards: dict[int, int] = defaultdict(int)
    for assignment, *_ in paid:
        rewards[assignment.worker_id] += project.reward_cents
    last_number = first_number + len(paid)
    batch = ledger.Posting(
        kind=TransactionKind.PAY,
        legs=(
            (accounts.escrow, -sum(row[1] for row in paid)),
            (accounts.available, -sum(row[2] for row in paid)),
            (accounts.fees, sum(row[3] for row in paid)),
            *((accounts.pending[worker_id], cents) for worker_id, cents in rewards.items()),
        ),
        memo=f"{len(paid)} approved answers of “{project.title}”",
        idempotency_key=f"pay:project:{project.pk}:{first_number + 1}-{last_number}",
        project_id=project.pk,
    )
    return [
        batch,
        *(
            ledger.Posting(
                kind=TransactionKind.PAY,
                legs=(
                    (accounts.pending[assignment.worker_id], -project.reward_cents),
                    (accounts.payable[assignment.worker_id], project.reward_cents),
                ),
                memo=_answer_memo(project, assignment),
                idempotency_key=f"pay:assignment:{assignment.pk}",
                project_id=project.pk,
                assignment_id=assignment.pk,
            )
            for assignment, *_ in paid
        ),
    ]


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
