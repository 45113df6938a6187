"""The only writer of ledger entries. Everything that moves money calls ``post``.

``post`` runs in the caller's transaction (or its own), locks the accounts it touches in id order
(so two postings never deadlock on each other), refuses an overdraft with a clear error before
the database would, and records the transaction and its entries. The database then re-checks the
same rules (migration 0002): the entries sum to zero at commit, the cached balances follow the
entries, and accounts that must not go negative cannot.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.db import IntegrityError, transaction

from accounts.models import RequesterAccount, User
from payments.models import (
    EXTERNAL_KINDS,
    AccountKind,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
)


class OverdraftError(Exception):
    """A posting would take an account below zero. ``missing_cents`` is the shortfall."""

    def __init__(self, account: LedgerAccount, balance_cents: int, needed_cents: int):
        self.account = account
        self.balance_cents = balance_cents
        self.needed_cents = needed_cents
        self.missing_cents = needed_cents - balance_cents
        super().__init__(
            f"{account} holds {balance_cents} cents but {needed_cents} cents are needed."
        )


class UnbalancedPostingError(ValueError):
    """The legs of a posting do not add up to zero (a programming error, refused early)."""


def _account(code: str, kind: str, **owner) -> LedgerAccount:
    account = LedgerAccount.objects.filter(code=code).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return LedgerAccount.objects.create(
                code=code, kind=kind, may_go_negative=kind in EXTERNAL_KINDS, **owner
            )
    except IntegrityError:  # created concurrently
        return LedgerAccount.objects.get(code=code)


def requester_available_account(requester_account: RequesterAccount | int) -> LedgerAccount:
    account_id = getattr(requester_account, "pk", requester_account)
    return _account(
        f"requester:{account_id}",
        AccountKind.REQUESTER_AVAILABLE,
        requester_account_id=account_id,
    )


def project_escrow_account(project) -> LedgerAccount:
    return _account(f"escrow:{project.pk}", AccountKind.PROJECT_ESCROW, project_id=project.pk)


def worker_payable_account(worker: User | int) -> LedgerAccount:
    worker_id = getattr(worker, "pk", worker)
    return _account(f"payable:{worker_id}", AccountKind.WORKER_PAYABLE, worker_id=worker_id)


def platform_fees_account() -> LedgerAccount:
    return _account("platform_fees", AccountKind.PLATFORM_FEES)


def external_card_account() -> LedgerAccount:
    return _account("external:card", AccountKind.EXTERNAL_CARD)


def external_bank_account() -> LedgerAccount:
    return _account("external:bank", AccountKind.EXTERNAL_BANK)


def lock_accounts(accounts: Iterable[LedgerAccount]) -> dict[int, LedgerAccount]:
    """Lock the accounts' rows in id order; returns fresh copies by id. Caller is in a
    transaction."""
    ids = sorted({account.pk for account in accounts})
    locked = LedgerAccount.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {account.pk: account for account in locked}


@transaction.atomic
def post(
    *,
    kind: str,
    legs: Iterable[tuple[LedgerAccount, int]],
    memo: str = "",
    idempotency_key: str | None = None,
    project=None,
    assignment=None,
    created_by: User | None = None,
) -> LedgerTransaction:
    """Record one balanced movement. ``legs`` are (account, cents added to its balance); legs on
    the same account are merged and zero legs dropped. With an ``idempotency_key`` a repeated
    call returns the first call's transaction and moves nothing."""
    if idempotency_key:
        existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    amounts: dict[int, int] = defaultdict(int)
    by_id: dict[int, LedgerAccount] = {}
    for account, cents in legs:
        if not isinstance(cents, int) or isinstance(cents, bool):
            raise TypeError("Ledger amounts are integer cents.")
        amounts[account.pk] += cents
        by_id[account.pk] = account
    amounts = {account_id: cents for account_id, cents in amounts.items() if cents}
    if sum(amounts.values()) != 0:
        raise UnbalancedPostingError(f"Legs sum to {sum(amounts.values())} cents, not zero.")
    if len(amounts) < 2:
        raise UnbalancedPostingError("A ledger transaction needs at least two non-zero legs.")
    locked = lock_accounts(by_id[account_id] for account_id in amounts)
    for account_id, cents in amounts.items():
        account = locked[account_id]
        if cents < 0 and not account.may_go_negative and account.balance_cents + cents < 0:
            raise OverdraftError(account, account.balance_cents, -cents)
    try:
        with transaction.atomic():
            ledger_transaction = LedgerTransaction.objects.create(
                kind=kind,
                memo=memo[:300],
                idempotency_key=idempotency_key or None,
                project=project,
                assignment=assignment,
                created_by=created_by,
            )
    except IntegrityError:
        # The same key committed concurrently: that movement happened once, there.
        return LedgerTransaction.objects.get(idempotency_key=idempotency_key)
    LedgerEntry.objects.bulk_create(
        LedgerEntry(transaction=ledger_transaction, account_id=account_id, amount_cents=cents)
        for account_id, cents in sorted(amounts.items())
    )
    return ledger_transaction


def transfer(
    *, source: LedgerAccount, destination: LedgerAccount, amount_cents: int, kind: str, **details
) -> LedgerTransaction:
    """Move ``amount_cents`` (> 0) from ``source`` to ``destination``."""
    if amount_cents <= 0:
        raise ValueError("A transfer moves a positive amount.")
    return post(kind=kind, legs=[(source, -amount_cents), (destination, amount_cents)], **details)


def payouts_in_flight_account() -> LedgerAccount:
    return _account("payouts_in_flight", AccountKind.PAYOUTS_IN_FLIGHT)
