"""Staff reads of the whole ledger: balances per account kind, the integrity checks, and the
transaction journal (newest first, keyset-paginated so a page costs the same at any depth)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet, Sum

from payments.models import AccountKind, LedgerAccount, LedgerEntry, LedgerTransaction

JOURNAL_PAGE_SIZE = 50


@dataclass(frozen=True)
class KindTotal:
    kind: str
    label: str
    accounts: int
    balance_cents: int


@dataclass(frozen=True)
class LedgerChecks:
    """All zero on a sound ledger. The database already refuses what these count; they are the
    auditor's independent re-count, a full scan of the entries (run on demand, not per page)."""

    balances_sum_cents: int  # every account's balance together: double entry makes it 0
    unbalanced_transactions: int  # entries not summing to 0, or fewer than two entries
    balance_drift_accounts: int  # cached balance_cents differing from the sum of entries


def ledger_totals() -> list[KindTotal]:
    """Balance per account kind (shards of one kind, such as platform fees, add up here)."""
    rows = {
        row["kind"]: row
        for row in LedgerAccount.objects.values("kind").annotate(
            accounts=Count("id"), balance=Sum("balance_cents")
        )
    }
    return [
        KindTotal(
            kind=kind.value,
            label=kind.label,
            accounts=rows.get(kind.value, {}).get("accounts", 0),
            balance_cents=rows.get(kind.value, {}).get("balance") or 0,
        )
        for kind in AccountKind
    ]


def ledger_checks() -> LedgerChecks:
    entry, account = LedgerEntry._meta.db_table, LedgerAccount._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(sum(balance_cents), 0) FROM {account}")  # nosec B608 # our table names and constant SQL; values are parameters
        balances_sum = cursor.fetchone()[0]
        cursor.execute(
            f"""SELECT count(*) FROM (SELECT transaction_id FROM {entry} GROUP BY transaction_id
                HAVING sum(amount_cents) <> 0 OR count(*) < 2) AS bad"""  # nosec B608 # our table names and constant SQL; values are parameters
        )
        unbalanced = cursor.fetchone()[0]
        cursor.execute(
            f"""SELECT count(*) FROM {account} a LEFT JOIN (
                    SELECT account_id, sum(amount_cents) AS total FROM {entry}
                    GROUP BY account_id) e ON e.account_id = a.id
                WHERE a.balance_cents <> coalesce(e.total, 0)"""  # nosec B608 # our table names and constant SQL; values are parameters
        )
        drift = cursor.fetchone()[0]
    return LedgerChecks(int(balances_sum), unbalanced, drift)


def ledger_journal(
    *, kind: str = "", account_code: str = "", before_id: int | None = None
) -> QuerySet[LedgerTransaction]:
    """Transactions newest first with their entries, filtered by transaction kind and/or an
    account code (exact, e.g. ``platform_fees`` or ``worker_payable:12``)."""
    transactions = LedgerTransaction.objects.order_by("-id").prefetch_related(
        Prefetch("entries", queryset=LedgerEntry.objects.select_related("account").order_by("id"))
    )
    if kind:
        transactions = transactions.filter(kind=kind)
    if account_code:
        on_account = LedgerEntry.objects.filter(
            transaction=OuterRef("pk"), account__code=account_code
        )
        transactions = transactions.filter(Exists(on_account))
    if before_id is not None:
        transactions = transactions.filter(id__lt=before_id)
    return transactions


def journal_page(**filters) -> tuple[list[LedgerTransaction], int | None]:
    """One page of ``ledger_journal`` and the ``before`` id of the next page (None at the end)."""
    rows = list(ledger_journal(**filters)[: JOURNAL_PAGE_SIZE + 1])
    more = len(rows) > JOURNAL_PAGE_SIZE
    rows = rows[:JOURNAL_PAGE_SIZE]
    return rows, (rows[-1].pk if more else None)
