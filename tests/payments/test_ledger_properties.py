"""Property tests (hypothesis): random sequences of every money operation, run against the real
services on PostgreSQL, keep each ledger transaction balanced, every cached balance equal to its
entries, no account that must stay non-negative below zero, every approved answer paid exactly
once, and each balance equal to what a simple model of the operations expects.

Each generated sequence runs in a savepoint that is rolled back afterwards; after every step the
deferred balance triggers are fired (``SET CONSTRAINTS ALL IMMEDIATE``), so the database's own
check runs too, not only the SQL below."""

from collections import Counter, defaultdict
from contextlib import suppress
from itertools import count

import pytest
from django.db import connection, transaction
from django.test import override_settings
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from accounts.models import Role
from marketplace.models import Assignment, AssignmentStatus, ProjectStatus, ReviewStatus
from marketplace.services.assignments import AllocationError, assignment_claim, assignment_submit
from marketplace.services.bonuses import BonusError, bonus_grant
from marketplace.services.escrow import InsufficientFundsError
from marketplace.services.projects import (
    ProjectError,
    project_complete,
    project_publish,
    project_update,
)
from marketplace.services.reviews import (
    assignment_approve,
    assignment_reject,
    assignments_review,
)
from payments import money
from payments.models import LedgerAccount, Payout, PayoutStatus
from payments.services.funds import funds_deposit
from payments.services.payouts import PayoutError, payout_cancel, payout_request

# Rows that break a rule; each query must find none.
LEDGER_RULES = {
    "unbalanced transaction": """
        SELECT t.id FROM payments_ledgertransaction t
        LEFT JOIN payments_ledgerentry e ON e.transaction_id = t.id GROUP BY t.id
        HAVING count(e.id) < 2 OR coalesce(sum(e.amount_cents), 0) <> 0""",
    "cached balance differs from entries": """
        SELECT a.code FROM payments_ledgeraccount a
        LEFT JOIN payments_ledgerentry e ON e.account_id = a.id GROUP BY a.id
        HAVING a.balance_cents <> coalesce(sum(e.amount_cents), 0)""",
    "forbidden negative balance": """
        SELECT code FROM payments_ledgeraccount WHERE balance_cents < 0 AND NOT may_go_negative""",
    "approved answer not paid exactly once": """
        SELECT a.id FROM marketplace_assignment a
        LEFT JOIN payments_ledgertransaction t ON t.assignment_id = a.id AND t.kind = 'pay'
        GROUP BY a.id
        HAVING count(t.id) > 1 OR (a.review_status = 'approved') <> (count(t.id) = 1)""",
}

# How often the interesting paths ran, over all examples: the test checks they did.
REACHED: Counter = Counter()
PROJECT = st.integers(0, 1)
WORKER = st.integers(0, 2)
PICK = st.integers(0, 1_000)


def ledger_machine(*, requester, staff, draft, make_user):
    """The machine class, bound to the test's fixtures (users made once, outside the rolled-back
    savepoints)."""

    class LedgerMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self._savepoint = transaction.atomic()
            self._savepoint.__enter__()
            self._fee_setting = None
            self.keys = count()
            self.deposited = 0
            self.organisation = 0  # available funds plus escrow of its projects
            self.earned: dict[int, int] = defaultdict(int)  # worker id → payable balance
            self.fees = 0
            self.in_flight = 0
            self.paid: dict[int, int] = defaultdict(int)  # project id → answers paid
            # Steering only (preconditions keep steps on rules that can act).
            self.pending = 0
            self.open_payouts = 0

        def teardown(self):
            transaction.set_rollback(True)
            self._savepoint.__exit__(None, None, None)
            if self._fee_setting is not None:
                self._fee_setting.disable()

        @initialize(
            fee=st.sampled_from([0, 1000, 1500, 2000, 3333]),
            rewards=st.tuples(st.integers(1, 40), st.integers(1, 40)),
            tasks=st.tuples(st.integers(1, 5), st.integers(1, 5)),
            overlap=st.integers(1, 2),
            funds=st.sampled_from([0, 100, 1_000, 3_000, 6_000]),
            answers=st.sampled_from([0, 2, 4, 6]),
            bonus=st.sampled_from([0, 300, 600, 900]),
            bulk=st.booleans(),
            payout=st.sampled_from(["none", "request", "request and cancel"]),
        )
        def start(self, fee, rewards, tasks, overlap, funds, answers, bonus, bulk, payout):
            self._fee_setting = override_settings(PLATFORM_FEE_BASIS_POINTS=fee)
            self._fee_setting.enable()
            self.workers = [make_user(Role.WORKER) for _ in range(3)]
            self.projects = [
                draft(tasks=n, reward_cents=r, overlap_min=overlap, overlap_max=overlap, title="P")
                for n, r in zip(tasks, rewards, strict=True)
            ]
            # Most sequences start from a funded organisation with live work, answers awaiting
            # review and a worker with a bonus, so that short sequences reach every rule; a
            # draft that the funds cannot cover stays a draft for the rules to publish later.
            if funds:
                self.deposit(amount=funds)
            for p in range(len(self.projects)):
                self.publish(p=p)
            for n in range(answers):
                self.answer(p=n % 2, w=n % 3, times=1)
            if bulk and self.pending:
                self.approve_in_bulk(p=0, picks=[0, 1, 2])
            if bonus:
                self.bonus(w=0, amount=bonus)
            if payout != "none" and self.earned[self.workers[0].pk] >= 500:
                self.request_payout(w=0, amount=500)
                if payout == "request and cancel":
                    self.cancel_payout(pick=0)

        # What the model expects of a payment: the project's n-th paid answer carries the step
        # of the cumulative fee.
        def _paid(self, assignment: Assignment) -> None:
            project = assignment.project
            self.paid[project.pk] += 1
            fee = money.nth_assignment_fee_cents(
                n=self.paid[project.pk], reward_cents=project.reward_cents
            )
            self.earned[assignment.worker_id] += project.reward_cents
            self.fees += fee
            self.organisation -= project.reward_cents + fee

        def _submitted(self, project=None, pending_only=True):
            found = Assignment.objects.filter(status=AssignmentStatus.SUBMITTED)
            if pending_only:
                found = found.filter(review_status=ReviewStatus.PENDING)
            if project is not None:
                found = found.filter(project=project)
            return list(found.select_related("project").order_by("pk"))

        @rule(amount=st.integers(1, 2_000) | st.just(3_000))
        def deposit(self, amount):
            funds_deposit(
                requester_account=requester.requester_account,
                amount_cents=amount,
                reference=f"wire-{next(self.keys)}",
            )
            self.deposited += amount
            self.organisation += amount

        @rule(p=PROJECT)
        def publish(self, p):
            with suppress(ProjectError):  # not enough funds, or not a draft: nothing moved
                self.projects[p] = project_publish(project=self.projects[p])

        @rule(p=PROJECT)
        def raise_overlap(self, p):
            project = self.projects[p]
            project.refresh_from_db()
            with suppress(ProjectError):  # a draft or closed project, or short of funds
                project_update(project=project, overlap_max=project.overlap_max + 1)

        @rule(p=PROJECT, w=WORKER, times=st.integers(1, 4))
        def answer(self, p, w, times):
            self.projects[p].refresh_from_db(fields=["status"])
            if self.projects[p].status != ProjectStatus.ACTIVE:
                return  # refused anyway, after the claim's busy retries (~2 s each)
            for worker in (self.workers[(w + k) % len(self.workers)] for k in range(times)):
                try:
                    claimed = assignment_claim(worker=worker, project=self.projects[p])
                except AllocationError:
                    return
                if claimed is not None:
                    assignment_submit(
                        worker=worker, assignment_id=claimed.assignment_id, answer="cat"
                    )
                    self.pending += 1

        @precondition(lambda self: self.pending)
        @rule(pick=PICK)
        def approve(self, pick):
            pending = self._submitted()
            if not pending:
                return
            chosen = pending[pick % len(pending)]
            try:
                assignment_approve(assignment_id=chosen.pk)
            except InsufficientFundsError:
                return
            self._paid(chosen)
            self.pending -= 1
            REACHED["single approval"] += 1

        @precondition(lambda self: self.pending)
        @rule(p=PROJECT, picks=st.lists(PICK, min_size=2, max_size=6))
        def approve_in_bulk(self, p, picks):
            project = self.projects[p]
            answers = self._submitted(project, pending_only=False)
            if not answers:
                return
            chosen = [answers[pick % len(answers)] for pick in picks]
            was_pending = {a.pk for a in answers if a.review_status == ReviewStatus.PENDING}
            counts = assignments_review(
                project=project, assignment_ids=[a.pk for a in chosen], approve=True
            )
            now_approved = set(
                Assignment.objects.filter(
                    pk__in=[a.pk for a in chosen], review_status=ReviewStatus.APPROVED
                ).values_list("pk", flat=True)
            )
            assert counts == {
                "reviewed": sum(a.pk in now_approved for a in chosen),
                "refused": sum(a.pk not in now_approved for a in chosen),
            }
            # A batch pays in id order, like one-by-one approvals in that order.
            newly_paid = [a for a in answers if a.pk in was_pending and a.pk in now_approved]
            for answer in newly_paid:
                self._paid(answer)
            self.pending -= len(newly_paid)
            REACHED[f"bulk approval paying {min(len(newly_paid), 2)}+"] += 1

        @precondition(lambda self: self.pending)
        @rule(pick=PICK)
        def reject(self, pick):
            pending = self._submitted()
            assignment_reject(assignment_id=pending[pick % len(pending)].pk, reason="No")
            self.pending -= 1

        @rule(w=WORKER, amount=st.integers(1, 900) | st.sampled_from([250, 500, 900]))
        def bonus(self, w, amount):
            worker = self.workers[w]
            try:
                bonus_grant(
                    granted_by=requester,
                    worker=worker,
                    amount_cents=amount,
                    message="Thanks",
                    client_key=f"bonus-{next(self.keys)}",
                )
            except (BonusError, InsufficientFundsError):
                return
            fee = money.fee_cents(amount)
            self.earned[worker.pk] += amount
            self.fees += fee
            self.organisation -= amount + fee

        @precondition(lambda self: max(self.earned.values(), default=0) >= 450)
        @rule(w=WORKER, amount=st.integers(450, 1_200))
        def request_payout(self, w, amount):
            worker = self.workers[w]
            try:
                payout_request(worker=worker, amount_cents=amount)
            except PayoutError:
                assert amount < 500 or amount > self.earned[worker.pk]
                return
            self.earned[worker.pk] -= amount
            self.in_flight += amount
            self.open_payouts += 1
            REACHED["payout"] += 1

        @precondition(lambda self: self.open_payouts)
        @rule(pick=PICK)
        def cancel_payout(self, pick):
            open_payouts = list(Payout.objects.filter(status=PayoutStatus.REQUESTED).order_by("pk"))
            if not open_payouts:
                return
            payout = open_payouts[pick % len(open_payouts)]
            payout_cancel(payout_id=payout.pk, staff=staff, note="Changed bank")
            self.earned[payout.worker_id] += payout.amount_cents
            self.in_flight -= payout.amount_cents
            self.open_payouts -= 1
            REACHED["payout cancelled"] += 1

        @rule(p=PROJECT)
        def complete(self, p):
            try:
                self.projects[p] = project_complete(project=self.projects[p])
            except ProjectError:
                return
            if not Assignment.objects.filter(
                project=self.projects[p], status__in=["live", "submitted"], review_status="pending"
            ).exists():
                assert self._balances().get(f"escrow:{self.projects[p].pk}", 0) == 0

        def _balances(self) -> dict[str, int]:
            return dict(LedgerAccount.objects.values_list("code", "balance_cents"))

        @invariant()
        def ledger_holds(self):
            REACHED["checked states"] += 1
            with connection.cursor() as cursor:
                # Fire the deferred "balanced at commit" triggers now, inside the savepoint.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
                for name, sql in LEDGER_RULES.items():
                    cursor.execute(sql)
                    assert cursor.fetchall() == [], name

        @invariant()
        def balances_match_the_model(self):
            balances = self._balances()
            escrow = sum(b for code, b in balances.items() if code.startswith("escrow:"))
            available = balances.get(f"requester:{requester.requester_account_id}", 0)
            assert available + escrow == self.organisation
            assert balances.get("external:bank", 0) == -self.deposited
            fees = sum(b for code, b in balances.items() if code.startswith("platform_fees"))
            assert fees == self.fees
            assert balances.get("payouts_in_flight", 0) == self.in_flight
            for worker in getattr(self, "workers", []):
                assert balances.get(f"payable:{worker.pk}", 0) == self.earned[worker.pk]
            assert sum(balances.values()) == 0

    return LedgerMachine


@pytest.mark.django_db
def test_random_money_operations_keep_the_ledger_balanced_and_as_modelled(
    requester, staff_user, draft, make_user
):
    REACHED.clear()
    machine = ledger_machine(
        requester=requester, staff=staff_user, draft=draft, make_user=make_user
    )
    run_state_machine_as_test(
        machine,
        settings=settings(
            # The same 40 sequences on every run, so that CI is reproducible and the coverage
            # check below cannot flake; set derandomize=False locally to explore new ones.
            derandomize=True,
            max_examples=40,
            stateful_step_count=30,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )
    print(dict(REACHED))
    for path in ("single approval", "bulk approval paying 2+", "payout", "payout cancelled"):
        assert REACHED[path] > 0, f"no generated sequence reached: {path}"
