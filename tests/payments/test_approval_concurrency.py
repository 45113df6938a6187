"""50 clients at once against one worker's balance: single approvals, overlapping bulk
approvals and payout requests, on real PostgreSQL connections. No answer is paid twice, no
payout spends money that is not there, and no balance goes negative."""

import threading

import pytest
from django.db import connection

from accounts.models import Role
from marketplace.models import Assignment, ReviewStatus
from marketplace.services.bonuses import bonus_grant
from marketplace.services.projects import project_publish
from marketplace.services.reviews import assignment_approve, assignments_review
from payments import ledger
from payments.models import LedgerTransaction, Payout
from payments.services.funds import funds_deposit
from payments.services.payouts import PayoutError, payout_request


def _broken_ledger_rules() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT 'unbalanced', t.id FROM payments_ledgertransaction t
               JOIN payments_ledgerentry e ON e.transaction_id = t.id GROUP BY t.id
               HAVING count(*) < 2 OR sum(e.amount_cents) <> 0
            UNION ALL
            SELECT 'negative', id FROM payments_ledgeraccount
               WHERE balance_cents < 0 AND NOT may_go_negative"""
        )
        return cursor.fetchall()


@pytest.mark.django_db(transaction=True)
def test_fifty_clients_approving_and_withdrawing_never_double_pay_or_overdraw(
    requester, draft, answer, make_user
):
    funds_deposit(requester_account=requester.requester_account, amount_cents=50_000, reference="W")
    projects = [
        project_publish(project=draft(tasks=20, overlap_min=1, overlap_max=1)) for _ in range(2)
    ]
    worker = make_user(Role.WORKER)
    singles = [answer(projects[0], worker=worker).pk for _ in range(15)]
    in_bulk = [answer(projects[1], worker=worker).pk for _ in range(15)]
    # $10.00 to start with: two $5.00 payouts fit whatever the order; with the 30 answers'
    # $1.50 a third never does.
    bonus_grant(
        granted_by=requester, worker=worker, amount_cents=1_000, message="Top", client_key="b"
    )
    start = threading.Barrier(50)
    outcomes: list[str] = []

    def client(action):
        try:
            start.wait()
            outcomes.append(action())
        finally:
            connection.close()

    def approve(assignment_id):
        assignment_approve(assignment_id=assignment_id)
        return "approved"

    def approve_in_bulk(window):
        counts = assignments_review(project=projects[1], assignment_ids=window, approve=True)
        return f"bulk {counts['reviewed']}/{len(window)}"

    def withdraw():
        try:
            payout_request(worker=worker, amount_cents=500)
        except PayoutError:
            return "refused"
        return "paid out"

    # Ten bulk clients approve overlapping windows of six answers: each answer is approved by
    # up to six clients at once.
    actions = [lambda pk=pk: approve(pk) for pk in singles]
    actions += [lambda k=k: approve_in_bulk(in_bulk[k : k + 6]) for k in range(10)]
    actions += [withdraw] * 25
    threads = [threading.Thread(target=client, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(outcomes) == 50
    assert outcomes.count("approved") == 15
    # Every bulk client sees all of its window approved, whoever paid each answer.
    assert sorted(o for o in outcomes if o.startswith("bulk")) == sorted(
        f"bulk {len(in_bulk[k : k + 6])}/{len(in_bulk[k : k + 6])}" for k in range(10)
    )
    assert outcomes.count("paid out") == 2
    assert outcomes.count("refused") == 23

    everything = singles + in_bulk
    assert set(
        Assignment.objects.filter(pk__in=everything).values_list("review_status", flat=True)
    ) == {ReviewStatus.APPROVED}
    paid = LedgerTransaction.objects.filter(kind="pay", assignment_id__in=everything)
    assert sorted(paid.values_list("assignment_id", flat=True)) == sorted(everything)
    assert ledger.worker_payable_account(worker).balance_cents == 1_000 + 30 * 5 - 2 * 500
    assert ledger.payouts_in_flight_account().balance_cents == 2 * 500
    assert Payout.objects.count() == 2
    assert _broken_ledger_rules() == []
