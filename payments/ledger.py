"""The only writer of ledger entries. Everything that moves money calls ``post``.

``post`` runs in the caller's transaction (or its own), locks the accounts it touches in id order
(so two postings never deadlock on each other), refuses an overdraft with a clear error before
the database would, and records the transaction and its entries. The database then re-checks the
same rules (migration 0002): the entries sum to zero at commit, the cached balances follow the
entries, and accounts that must not go negative cannot.

The platform's fees from answers are spread over ``settings.PLATFORM_FEE_SHARDS`` accounts
``platform_fees:<project id mod shards>`` (one project's fees always on one row), so that
approvals in different projects do not queue on one row; the original ``platform_fees`` account
keeps its history and still takes the fees of bonuses. Read the platform's fees with
``platform_fees_balance_cents``, which sums every account of that kind.

Idempotency keys (docs/security.md, "Money idempotency keys") live in two namespaces that can
never meet:

- **server-made** keys are built from row ids and fixed words by the code that owns the movement
  (``pay:assignment:<id>``, ``payout:<id>:paid``, ``card:<payment intent>``,
  ``sys:refund:<id>:paid``); no part of them comes from a request;
- **client** keys carry a value someone typed or sent (an ``Idempotency-Key`` header, a form's
  hidden key, a bank reference) and are always built by ``client_idempotency_key`` as
  ``client:<operation>:<caller id>:<value>``: one operation's keys never meet another's, one
  organisation's never meet another's, and no server-made key starts with ``client:``.

Keys stored before this split keep their meaning: ``refund:<account>:<value>``,
``bonus:<account>:<value>`` and ``deposit:<reference>`` were client keys; they are never built
again (``funds_deposit`` still looks its old key up so a re-recorded old transfer is not credited
twice), and no server-made family starts with those words (refund movements moved to ``sys:``).

A key names one movement: replaying it with other legs or another kind raises
``IdempotencyKeyReusedError`` (HTTP 409, as Stripe answers a reused key) instead of returning
a transaction that is not the one asked for.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import RequesterAccount, User
from config.errors import DomainError
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


class IdempotencyKeyReusedError(DomainError):
    """An idempotency key already names another movement (other kind, amounts or accounts).
    Nothing is moved; the caller must send a new key for a new request."""

    code, http_status = "idempotency_key_reused", 409


CLIENT_KEY_PREFIX = "client:"


def client_idempotency_key(operation: str, caller_id: int, value: str) -> str:
    """The ledger key of a movement asked for with a caller-chosen ``value``: namespaced by
    ``operation`` (a fixed word such as ``refund``) and the caller (the organisation's or
    worker's id), under a prefix no server-made key uses. ``value`` may contain anything, colons
    included: the operation and the integer id before it cannot be forged by it."""
    if not operation.isidentifier():
        raise ValueError(f"Operation {operation!r} is a fixed word, not data.")
    return f"{CLIENT_KEY_PREFIX}{operation}:{int(caller_id)}:{value}"


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


@dataclass(frozen=True)
class PayAccounts:
    """The accounts paying answers touches, locked, with fresh balances."""

    available: LedgerAccount
    escrow: LedgerAccount
    fees: LedgerAccount
    payable: dict[int, LedgerAccount]  # by worker id
    pending: dict[int, LedgerAccount]  # by worker id; the bulk path's transit accounts

    def by_id(self) -> dict[int, LedgerAccount]:
        accounts = [self.available, self.escrow, self.fees]
        accounts += [*self.payable.values(), *self.pending.values()]
        return {account.pk: account for account in accounts}


def lock_pay_accounts(
    *, requester_account_id: int, project_id: int, worker_ids: Iterable[int], pending: bool
) -> PayAccounts:
    """Lock, in one query and in id order, the accounts paying a project's answers touches
    (with the workers' pending accounts too if ``pending``). Missing ones (a worker's first
    pay) are created first, in one insert. Caller is in a transaction."""
    specs = {
        f"requester:{requester_account_id}": (
            AccountKind.REQUESTER_AVAILABLE,
            {"requester_account_id": requester_account_id},
        ),
        f"escrow:{project_id}": (AccountKind.PROJECT_ESCROW, {"project_id": project_id}),
        platform_fees_code(project_id): (AccountKind.PLATFORM_FEES, {}),
    }
    workers = sorted(set(worker_ids))
    for pk in workers:
        specs[f"payable:{pk}"] = (AccountKind.WORKER_PAYABLE, {"worker_id": pk})
        if pending:
            specs[f"pending:{pk}"] = (AccountKind.WORKER_PENDING, {"worker_id": pk})
    query = LedgerAccount.objects.select_for_update().filter(code__in=specs).order_by("pk")
    found = {account.code: account for account in query}
    if len(found) < len(specs):
        # A concurrent creator of the same code makes this insert wait, then skip the row.
        LedgerAccount.objects.bulk_create(
            [
                LedgerAccount(code=code, kind=kind, **owner)
                for code, (kind, owner) in specs.items()
                if code not in found
            ],
            ignore_conflicts=True,
        )
        found = {account.code: account for account in query.all()}
    return PayAccounts(
        available=found[f"requester:{requester_account_id}"],
        escrow=found[f"escrow:{project_id}"],
        fees=found[platform_fees_code(project_id)],
        payable={pk: found[f"payable:{pk}"] for pk in workers},
        pending={pk: found[f"pending:{pk}"] for pk in workers if pending},
    )


PLATFORM_FEES_CODE = "platform_fees"


def platform_fees_code(project_id: int) -> str:
    """The fee account of a project's answers: its shard, chosen by project id."""
    return f"{PLATFORM_FEES_CODE}:{project_id % settings.PLATFORM_FEE_SHARDS}"


def platform_fees_account(project=None) -> LedgerAccount:
    """The fee shard of ``project`` (a project or its id); without one, the original single
    ``platform_fees`` account (bonuses, and every fee before sharding). Not a balance to show:
    the platform's fees are ``platform_fees_balance_cents()``."""
    if project is None:
        return _account(PLATFORM_FEES_CODE, AccountKind.PLATFORM_FEES)
    return _account(platform_fees_code(getattr(project, "pk", project)), AccountKind.PLATFORM_FEES)


def platform_fees_balance_cents() -> int:
    """The platform's fees: the sum of every platform-fee account (the shards whatever their
    number has been, and the original ``platform_fees`` account)."""
    total = LedgerAccount.objects.filter(kind=AccountKind.PLATFORM_FEES).aggregate(
        total=Sum("balance_cents")
    )["total"]
    return total or 0


def external_card_account() -> LedgerAccount:
    return _account("external:card", AccountKind.EXTERNAL_CARD)


def external_bank_account() -> LedgerAccount:
    return _account("external:bank", AccountKind.EXTERNAL_BANK)


def lock_accounts(accounts: Iterable[LedgerAccount | int]) -> dict[int, LedgerAccount]:
    """Lock the accounts' rows (given as accounts or ids) in id order; returns fresh copies by
    id. Caller is in a transaction."""
    ids = sorted({getattr(account, "pk", account) for account in accounts})
    locked = LedgerAccount.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {account.pk: account for account in locked}


def _merged(legs: Iterable[tuple[LedgerAccount, int]]) -> dict[int, int]:
    """Cents by account id: legs on one account merged, zero legs dropped; refuses a posting
    that is unbalanced or has fewer than two non-zero legs."""
    amounts: dict[int, int] = defaultdict(int)
    for account, cents in legs:
        if not isinstance(cents, int) or isinstance(cents, bool):
            raise TypeError("Ledger amounts are integer cents.")
        amounts[account.pk] += cents
    amounts = {account_id: cents for account_id, cents in amounts.items() if cents}
    if sum(amounts.values()) != 0:
        raise UnbalancedPostingError(f"Legs sum to {sum(amounts.values())} cents, not zero.")
    if len(amounts) < 2:
        raise UnbalancedPostingError("A ledger transaction needs at least two non-zero legs.")
    return amounts


def _refuse_overdraft(locked: dict[int, LedgerAccount], amounts: dict[int, int]) -> None:
    for account_id, cents in amounts.items():
        account = locked[account_id]
        if cents < 0 and not account.may_go_negative and account.balance_cents + cents < 0:
            raise OverdraftError(account, account.balance_cents, -cents)


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
    call with the same kind and legs returns the first call's transaction and moves nothing; the
    same key with another kind, other amounts or other accounts raises
    ``IdempotencyKeyReusedError`` and moves nothing (memo and links are not compared)."""
    legs = list(legs)
    amounts = _merged(legs)
    if idempotency_key:
        existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _same_movement(existing, kind, amounts)
    _refuse_overdraft(lock_accounts(a for a, _ in legs if a.pk in amounts), amounts)
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
        existing = LedgerTransaction.objects.get(idempotency_key=idempotency_key)
        return _same_movement(existing, kind, amounts)
    LedgerEntry.objects.bulk_create(
        LedgerEntry(transaction=ledger_transaction, account_id=account_id, amount_cents=cents)
        for account_id, cents in sorted(amounts.items())
    )
    return ledger_transaction


def _same_movement(
    existing: LedgerTransaction, kind: str, amounts: dict[int, int]
) -> LedgerTransaction:
    """``existing`` if it is the movement asked for (same kind, same cents on the same accounts),
    else ``IdempotencyKeyReusedError``."""
    recorded: dict[int, int] = defaultdict(int)
    for account_id, cents in LedgerEntry.objects.filter(transaction=existing).values_list(
        "account_id", "amount_cents"
    ):
        recorded[account_id] += cents
    if existing.kind != kind or dict(recorded) != amounts:
        raise IdempotencyKeyReusedError(
            "This idempotency key was already used for a different movement of money; "
            "send a new key for a new request.",
            fields={"idempotency_key": ["Already used with other parameters."]},
        )
    return existing


@dataclass(frozen=True)
class Posting:
    """One ledger transaction of a batch for ``post_many`` (the arguments of ``post``)."""

    kind: str
    legs: tuple[tuple[LedgerAccount, int], ...]
    memo: str = ""
    idempotency_key: str | None = None
    project_id: int | None = None
    assignment_id: int | None = None


@transaction.atomic(savepoint=False)
def post_many(
    postings: Sequence[Posting], *, locked: dict[int, LedgerAccount] | None = None
) -> None:
    """Record many balanced movements with one lock round and one insert statement: the
    bulk-approval path, where statements per movement would cap throughput. Each posting stays
    its own ledger transaction, with its own idempotency key (required here). All or nothing: an
    overdraft of the batch's net movement on any account raises ``OverdraftError`` and records
    nothing.

    Unlike ``post``, a key that already exists is an error (IntegrityError), not a replay: the
    caller filters out done work under a lock that covers the keys (e.g. the escrow row).
    ``locked``: accounts the caller already locked in this transaction, by id (not re-read).
    No savepoint of its own: any error here must abort the caller's transaction anyway."""
    if not postings:
        return
    if not all(posting.idempotency_key for posting in postings):
        raise ValueError("Every posting of a batch needs an idempotency key.")
    merged = [_merged(posting.legs) for posting in postings]
    accounts = {a.pk: a for posting in postings for a, _ in posting.legs}
    net: dict[int, int] = defaultdict(int)
    for amounts in merged:
        for account_id, cents in amounts.items():
            net[account_id] += cents
    if locked is None or not net.keys() <= locked.keys():
        locked = lock_accounts(accounts[pk] for pk in net)
    _refuse_overdraft(locked, net)
    # Credits first: the balance trigger applies rows one by one and the CHECK looks at every
    # step, so an account credited and debited in one batch never dips below zero on the way.
    entries = sorted(
        (-cents, posting.idempotency_key, account_id)
        for posting, amounts in zip(postings, merged, strict=True)
        for account_id, cents in amounts.items()
    )
    _insert(postings, [(key, account_id, -negated) for negated, key, account_id in entries])


def _insert(postings: Sequence[Posting], entries: list[tuple[str, int, int]]) -> None:
    """Insert the postings' transactions and their (key, account id, cents) entries, entries in
    the given order: one statement without model instances (a data-modifying CTE: entries find
    their transaction by its key)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH created AS (
                INSERT INTO {LedgerTransaction._meta.db_table}
                    (kind, memo, idempotency_key, project_id, assignment_id, created_at)
                SELECT kind, memo, key, project, assignment, %s
                FROM unnest(%s::text[], %s::text[], %s::text[], %s::bigint[], %s::bigint[])
                    AS p(kind, memo, key, project, assignment)
                RETURNING id, idempotency_key)
            INSERT INTO {LedgerEntry._meta.db_table} (transaction_id, account_id, amount_cents)
            SELECT created.id, e.account, e.cents
            FROM unnest(%s::text[], %s::bigint[], %s::bigint[])
                WITH ORDINALITY AS e(key, account, cents, n)
            JOIN created ON created.idempotency_key = e.key
            ORDER BY e.n""",  # nosec B608 # our table names and constant SQL; values are parameters
            [
                timezone.now(),
                [p.kind for p in postings],
                [p.memo[:300] for p in postings],
                [p.idempotency_key for p in postings],
                [p.project_id for p in postings],
                [p.assignment_id for p in postings],
                [key for key, _, _ in entries],
                [account_id for _, account_id, _ in entries],
                [cents for _, _, cents in entries],
            ],
        )


def transfer(
    *, source: LedgerAccount, destination: LedgerAccount, amount_cents: int, kind: str, **details
) -> LedgerTransaction:
    """Move ``amount_cents`` (> 0) from ``source`` to ``destination``."""
    if amount_cents <= 0:
        raise ValueError("A transfer moves a positive amount.")
    return post(kind=kind, legs=[(source, -amount_cents), (destination, amount_cents)], **details)


def payouts_in_flight_account() -> LedgerAccount:
    return _account("payouts_in_flight", AccountKind.PAYOUTS_IN_FLIGHT)
