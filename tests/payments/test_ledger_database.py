"""The database itself keeps the ledger balanced and immutable, whoever writes to it."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from payments import ledger, money
from payments.models import LedgerEntry, LedgerTransaction, TransactionKind
from payments.services.funds import funds_deposit

RAW_TRANSACTION = (
    "INSERT INTO payments_ledgertransaction (kind, memo, created_at) "
    "VALUES ('deposit', 'raw', now()) RETURNING id"
)
RAW_ENTRY = (
    "INSERT INTO payments_ledgerentry (transaction_id, account_id, amount_cents) "
    "VALUES (%s, %s, %s)"
)


def _raw_posting(legs):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(RAW_TRANSACTION)
        (transaction_id,) = cursor.fetchone()
        for account, cents in legs:
            cursor.execute(RAW_ENTRY, [transaction_id, account.pk, cents])


@pytest.mark.django_db(transaction=True)
def test_an_unbalanced_transaction_written_in_raw_sql_is_refused_at_commit(requester):
    bank = ledger.external_bank_account()
    available = ledger.requester_available_account(requester.requester_account)

    with pytest.raises(IntegrityError, match="unbalanced: 2 entries summing to 1 cents"):
        _raw_posting([(bank, -100), (available, 101)])

    assert LedgerTransaction.objects.count() == 0
    available.refresh_from_db()
    assert available.balance_cents == 0


@pytest.mark.django_db(transaction=True)
def test_a_transaction_with_a_single_leg_or_none_is_refused(requester):
    bank = ledger.external_bank_account()
    with pytest.raises(IntegrityError, match="1 entries"):
        _raw_posting([(bank, 0 + 5)])
    with pytest.raises(IntegrityError, match="0 entries"):
        _raw_posting([])


@pytest.mark.django_db(transaction=True)
def test_a_balanced_raw_posting_commits_and_moves_the_cached_balances(requester):
    bank = ledger.external_bank_account()
    available = ledger.requester_available_account(requester.requester_account)

    _raw_posting([(bank, -250), (available, 250)])

    bank.refresh_from_db()
    available.refresh_from_db()
    assert (bank.balance_cents, available.balance_cents) == (-250, 250)


@pytest.mark.django_db(transaction=True)
def test_an_overdraft_written_in_raw_sql_is_refused_by_the_balance_check(requester):
    available = ledger.requester_available_account(requester.requester_account)
    fees = ledger.platform_fees_account()

    with pytest.raises(IntegrityError, match="ledger_account_not_overdrawn"):
        _raw_posting([(available, -1), (fees, 1)])


@pytest.mark.django_db
def test_entries_and_transactions_cannot_be_edited_or_deleted(requester):
    posted = funds_deposit(
        requester_account=requester.requester_account, amount_cents=500, reference="W-1"
    )
    entry = posted.entries.first()
    for statement in (
        "UPDATE payments_ledgerentry SET amount_cents = amount_cents * 2",
        "DELETE FROM payments_ledgerentry",
        "UPDATE payments_ledgertransaction SET memo = 'edited'",
        "DELETE FROM payments_ledgertransaction",
    ):
        with (
            pytest.raises(IntegrityError, match="immutable"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert LedgerEntry.objects.get(pk=entry.pk).amount_cents == entry.amount_cents


@pytest.mark.django_db
def test_the_same_bank_reference_is_credited_once(requester, balances):
    account = requester.requester_account
    first = funds_deposit(requester_account=account, amount_cents=500, reference="WIRE-7")
    again = funds_deposit(requester_account=account, amount_cents=500, reference="WIRE-7")

    assert first.pk == again.pk
    assert balances(requester_account=account)["available"] == 500


@pytest.mark.django_db
def test_the_ledger_refuses_unbalanced_legs_and_float_amounts_before_the_database(requester):
    bank = ledger.external_bank_account()
    available = ledger.requester_available_account(requester.requester_account)
    with pytest.raises(ledger.UnbalancedPostingError):
        ledger.post(kind=TransactionKind.DEPOSIT, legs=[(bank, -5), (available, 4)])
    with pytest.raises(TypeError):
        ledger.post(kind=TransactionKind.DEPOSIT, legs=[(bank, -0.5), (available, 0.5)])


@pytest.mark.django_db(transaction=True)
def test_concurrent_debits_of_one_account_never_overdraw_it(requester):
    """Twelve threads each try to take 30 cents from an account holding 100: three succeed,
    the rest are refused, the balance ends at 10 and the ledger still sums to zero."""
    account = requester.requester_account
    funds_deposit(requester_account=account, amount_cents=100, reference="W")
    available = ledger.requester_available_account(account)
    fees = ledger.platform_fees_account()
    start = threading.Barrier(12)
    outcomes = []

    def debit():
        try:
            start.wait()
            ledger.transfer(
                source=available, destination=fees, amount_cents=30, kind=TransactionKind.BONUS
            )
            outcomes.append("ok")
        except ledger.OverdraftError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=debit) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["ok"] * 3 + ["refused"] * 9
    available.refresh_from_db()
    assert available.balance_cents == 10
    assert sum(LedgerEntry.objects.values_list("amount_cents", flat=True)) == 0


def test_allocation_adds_back_to_the_total():
    assert money.allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert sum(money.allocate(1_001, [3, 7, 11])) == 1_001


def test_dollar_amounts_parse_to_whole_cents_only():
    assert money.parse_dollars("$1,012.5") == 101_250
    with pytest.raises(ValueError):
        money.parse_dollars("1.001")
    with pytest.raises(ValueError):
        money.parse_dollars("-5")
