"""Property check without extra dependencies: seeded random sequences of every money operation
keep each transaction balanced, the cached balances equal to their entries, and no account that
must stay non-negative below zero. (hypothesis is not installed in this environment.)"""

import random

import pytest
from django.db.models import Count, Sum

from accounts.models import Role
from marketplace.funding import InsufficientFundsError
from marketplace.models import Assignment, AssignmentStatus, ReviewStatus
from marketplace.services.assignments import (
    AllocationError,
    assignment_claim,
    assignment_submit,
)
from marketplace.services.projects import ProjectError, project_complete, project_publish
from marketplace.services.reviews import ReviewError, assignment_approve, assignment_reject
from payments.models import LedgerAccount, LedgerEntry
from payments.services import (
    BonusError,
    PayoutError,
    bonus_grant,
    funds_deposit,
    payout_request,
)

pytestmark = pytest.mark.django_db


def _check_invariants():
    unbalanced = (
        LedgerEntry.objects.values("transaction_id")
        .annotate(total=Sum("amount_cents"), legs=Count("id"))
        .exclude(total=0, legs__gte=2)
    )
    assert not unbalanced.exists()
    for account in LedgerAccount.objects.annotate(total=Sum("entries__amount_cents")):
        assert account.balance_cents == (account.total or 0)
        assert account.may_go_negative or account.balance_cents >= 0


@pytest.mark.parametrize("seed", range(4))
def test_random_money_operations_keep_the_ledger_balanced_and_non_negative(
    seed, requester, draft, make_user, settings
):
    rng = random.Random(seed)
    settings.PLATFORM_FEE_BASIS_POINTS = rng.choice([0, 1000, 1500, 2000, 3333])
    workers = [make_user(Role.WORKER) for _ in range(4)]
    projects = [
        draft(tasks=rng.randint(1, 6), reward_cents=rng.randint(1, 40), gold_ratio=0.0)
        for _ in range(2)
    ]
    for step in range(40):
        operation = rng.choice(
            ["deposit", "publish", "answer", "approve", "reject", "bonus", "payout", "complete"]
        )
        project = rng.choice(projects)
        worker = rng.choice(workers)
        try:
            if operation == "deposit":
                funds_deposit(
                    requester_account=requester.requester_account,
                    amount_cents=rng.randint(1, 600),
                    reference=f"{seed}-{step}",
                )
            elif operation == "publish":
                project_publish(project=project)
            elif operation == "answer":
                claimed = assignment_claim(worker=worker, project=project)
                if claimed is not None:
                    assignment_submit(
                        worker=worker, assignment_id=claimed.assignment_id, answer="cat"
                    )
            elif operation in ("approve", "reject"):
                pending = Assignment.objects.filter(
                    status=AssignmentStatus.SUBMITTED, review_status=ReviewStatus.PENDING
                ).first()
                if pending is not None and operation == "approve":
                    assignment_approve(assignment_id=pending.pk)
                elif pending is not None:
                    assignment_reject(assignment_id=pending.pk, reason="Random check")
            elif operation == "bonus":
                bonus_grant(
                    granted_by=requester,
                    worker=worker,
                    amount_cents=rng.randint(1, 300),
                    message="Random bonus",
                    client_key=f"{seed}-{step}",
                )
            elif operation == "payout":
                payout_request(worker=worker, amount_cents=rng.randint(500, 900))
            else:
                project_complete(project=project)
        except (
            AllocationError,
            ProjectError,
            ReviewError,
            InsufficientFundsError,
            BonusError,
            PayoutError,
        ):
            pass  # a refusal is a legal outcome; the ledger must still hold
        _check_invariants()
