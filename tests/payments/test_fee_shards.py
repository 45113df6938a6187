"""The platform's fees are spread over ``platform_fees:<project id mod PLATFORM_FEE_SHARDS>``
accounts so that single approvals in different projects do not queue on one row (issue 7,
docs/ledger.md "Throughput"). Every read of the platform's fees sums all of them, the original
``platform_fees`` account included. Fee 20 %, rewards 5 cents: fee(5) = 1, fee(10) = 2."""

import threading

import pytest
from django.db import connection, transaction
from django.db.utils import OperationalError
from django.urls import reverse

from accounts.models import Role
from marketplace.models import Assignment, ReviewStatus
from marketplace.services.bonuses import bonus_grant
from marketplace.services.projects import project_publish
from marketplace.services.reviews import assignment_approve
from payments import ledger, money
from payments.models import AccountKind, LedgerAccount, LedgerEntry
from payments.services.funds import funds_deposit


def _unbalanced_transactions() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT t.id FROM payments_ledgertransaction t
               LEFT JOIN payments_ledgerentry e ON e.transaction_id = t.id GROUP BY t.id
               HAVING count(e.id) < 2 OR coalesce(sum(e.amount_cents), 0) <> 0"""
        )
        return cursor.fetchall()


def _fees_paid_by(project) -> int:
    """What the project's PAY transactions credited to platform-fee accounts."""
    return sum(
        LedgerEntry.objects.filter(
            transaction__project=project,
            transaction__kind="pay",
            account__kind=AccountKind.PLATFORM_FEES,
        ).values_list("amount_cents", flat=True)
    )


@pytest.fixture
def funded_project(make_user, draft):
    """A project of an organisation of its own, published with 10 regular tasks x 3 answers."""

    def make():
        owner = make_user(Role.REQUESTER, organisation="An organisation")  # a new one each
        funds_deposit(
            requester_account=owner.requester_account,
            amount_cents=1_000,
            reference=f"WIRE-{owner.pk}",
        )
        return project_publish(project=draft(owner=owner))

    return make


@pytest.mark.django_db(transaction=True)
def test_twelve_projects_approved_at_once_all_pay_their_fees_each_on_its_own_shard(
    settings, funded_project, answer
):
    settings.PLATFORM_FEE_SHARDS = 16
    projects = [funded_project() for _ in range(12)]
    answers = {project.pk: [answer(project) for _ in range(3)] for project in projects}
    start = threading.Barrier(len(projects))
    failures = []

    def approve(project_answers):
        try:
            start.wait()
            for assignment in project_answers:
                assignment_approve(assignment_id=assignment.pk)
        except Exception as error:  # collected: an assertion in a thread would go unseen
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(a,)) for a in answers.values()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert not any(thread.is_alive() for thread in threads)
    assert set(
        Assignment.objects.filter(project__in=projects).values_list("review_status", flat=True)
    ) == {ReviewStatus.APPROVED}
    # Three 5-cent answers per project: fees 1 + 1 + 1 = fee(15) = 3, on the project's shard.
    for project in projects:
        assert _fees_paid_by(project) == money.fee_cents(3 * 5) == 3
        shard = LedgerAccount.objects.get(code=f"platform_fees:{project.pk % 16}")
        assert set(
            LedgerEntry.objects.filter(
                transaction__project=project, account__kind=AccountKind.PLATFORM_FEES
            ).values_list("account_id", flat=True)
        ) == {shard.pk}
    assert ledger.platform_fees_balance_cents() == 12 * 3
    assert LedgerAccount.objects.filter(kind=AccountKind.PLATFORM_FEES).count() == len(
        {project.pk % 16 for project in projects}
    )
    assert _unbalanced_transactions() == []


@pytest.mark.django_db(transaction=True)
def test_an_approval_waits_only_for_approvals_on_the_same_fee_shard(
    settings, funded_project, answer
):
    """While one approval is uncommitted, another project's approval on a different fee shard
    goes through at once; one on the same shard has to wait for it (here: gives up after its
    lock timeout)."""
    settings.PLATFORM_FEE_SHARDS = 2
    holding, other_shard = funded_project(), funded_project()
    same_shard = funded_project()
    while same_shard.pk % 2 != holding.pk % 2:
        same_shard = funded_project()
    assert other_shard.pk % 2 != holding.pk % 2
    held, other, same = answer(holding), answer(other_shard), answer(same_shard)
    outcomes = {}

    def approve_meanwhile(name, assignment):
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '1s'")
                assignment_approve(assignment_id=assignment.pk)
            outcomes[name] = "approved"
        except OperationalError as error:
            outcomes[name] = "lock timeout" if "lock timeout" in str(error) else str(error)
        finally:
            connection.close()

    with transaction.atomic():
        assignment_approve(assignment_id=held.pk)  # holds its fee shard's row until commit
        for name, assignment in (("other shard", other), ("same shard", same)):
            thread = threading.Thread(target=approve_meanwhile, args=(name, assignment))
            thread.start()
            thread.join(timeout=30)

    assert outcomes == {"other shard": "approved", "same shard": "lock timeout"}
    assert ledger.platform_fees_balance_cents() == 2  # fee(5) of each approved answer
    assert _unbalanced_transactions() == []


@pytest.mark.django_db
def test_staff_see_the_platform_fees_as_the_sum_of_the_shards_and_the_original_account(
    client, settings, staff_user, funded_project, answer
):
    """Bonus fees stay on the original ``platform_fees`` account (with its history); answer
    fees go to the shards, whose number may change. Staff's ledger view lists every fee account
    and their balances add up to the platform's fees."""
    settings.PLATFORM_FEE_SHARDS = 16
    first, second = funded_project(), funded_project()
    for assignment in (answer(first), answer(first), answer(second)):
        assignment_approve(assignment_id=assignment.pk)  # fees 1 + 1, and 1
    bonus_grant(
        granted_by=first.created_by,
        worker=Assignment.objects.filter(project=first).first().worker,
        amount_cents=50,
        message="Careful work",
        client_key="b-1",
    )  # fee(50) = 10, on the original account
    settings.PLATFORM_FEE_SHARDS = 3  # resharded: later fees may land on other rows
    assignment_approve(assignment_id=answer(second).pk)  # fee(10) - fee(5) = 1

    client.force_login(staff_user)
    changelist = client.get(
        reverse("admin:payments_ledgeraccount_changelist"),
        {"kind__exact": AccountKind.PLATFORM_FEES},
    )

    assert changelist.status_code == 200
    shown = {row.code: row.balance_cents for row in changelist.context["cl"].result_list}
    assert shown["platform_fees"] == 10
    assert sum(shown.values()) == ledger.platform_fees_balance_cents() == 2 + 1 + 10 + 1
    assert sum(shown.values()) == _fees_paid_by(first) + _fees_paid_by(second) + 10
    assert set(shown) == {
        "platform_fees",
        f"platform_fees:{first.pk % 16}",
        f"platform_fees:{second.pk % 16}",
        f"platform_fees:{second.pk % 3}",
    }
