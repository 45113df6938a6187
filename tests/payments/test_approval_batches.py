"""Worked examples of bulk approval: a batch of answers is paid with one batch transaction out
of escrow and one transaction per answer into the worker's payable balance. Fee 20 %, rewards
5 cents."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from marketplace.models import Assignment, ReviewStatus
from marketplace.services.projects import project_publish
from marketplace.services.reviews import (
    assignment_approve,
    assignments_auto_approve,
    assignments_review,
)
from payments import ledger
from payments.models import LedgerAccount, LedgerEntry, LedgerTransaction
from payments.services.funds import funds_deposit
from tests.marketplace.factories import ProjectFactory, TaskFactory

pytestmark = pytest.mark.django_db


def _pay_keys() -> list[str]:
    return sorted(
        LedgerTransaction.objects.filter(kind="pay").values_list("idempotency_key", flat=True)
    )


def test_a_bulk_approval_pays_each_answer_once_and_touches_escrow_once(
    requester, draft, answer, make_user, balances
):
    account = requester.requester_account
    funds_deposit(requester_account=account, amount_cents=10_000, reference="WIRE-1")
    project = project_publish(project=draft(tasks=10))  # 180 cents in escrow
    ann, bob = make_user(Role.WORKER), make_user(Role.WORKER)
    answers = [answer(project, worker=ann), answer(project, worker=ann), answer(project, bob)]
    ids = [a.pk for a in answers]

    assert assignments_review(project=project, assignment_ids=ids, approve=True) == {
        "reviewed": 3,
        "refused": 0,
    }

    # 15 cents of rewards and fee(15) = 3 cents, exactly as three single approvals would pay.
    assert balances(requester_account=account, project=project, worker=ann) == {
        "available": 10_000 - 180,
        "escrow": 180 - 18,
        "fees": 3,
        "worker": 10,
    }
    assert balances(worker=bob)["worker"] == 5
    # The batch moved escrow once; each answer has its own payment, keyed by its id; the
    # workers' pending (transit) accounts are empty again.
    assert _pay_keys() == sorted(
        [f"pay:project:{project.pk}:1-3", *(f"pay:assignment:{pk}" for pk in ids)]
    )
    escrow = ledger.project_escrow_account(project)
    assert LedgerEntry.objects.filter(account=escrow, transaction__kind="pay").count() == 1
    for worker in (ann, bob):
        pending = LedgerAccount.objects.get(code=f"pending:{worker.pk}")
        assert pending.balance_cents == 0
    for assignment in answers:
        paid_to = LedgerEntry.objects.get(
            transaction__idempotency_key=f"pay:assignment:{assignment.pk}", amount_cents__gt=0
        )
        assert paid_to.account == ledger.worker_payable_account(assignment.worker_id)

    # Reviewing the same answers again changes nothing and still counts them as approved.
    entries = LedgerEntry.objects.count()
    assert assignments_review(project=project, assignment_ids=ids, approve=True) == {
        "reviewed": 3,
        "refused": 0,
    }
    assert LedgerEntry.objects.count() == entries

    # A single approval after the batch carries the 4th answer's fee: fee(20) - fee(15) = 1.
    assignment_approve(assignment_id=answer(project, worker=bob).pk)
    assert balances(project=project) == {"escrow": 162 - 6, "fees": 4}


def test_a_batch_refuses_only_the_answers_the_funds_cannot_cover(answer, balances):
    """No reservation and 13 cents available: two answers (6 cents each with their fees) fit,
    the third does not; it stays pending and can be approved once funds arrive."""
    project = ProjectFactory(funded=False, overlap_min=3, overlap_max=3)
    TaskFactory(project=project)
    funds_deposit(requester_account=project.account, amount_cents=13, reference="W")
    first, second, third = (answer(project) for _ in range(3))

    counts = assignments_review(
        project=project, assignment_ids=[first.pk, second.pk, third.pk], approve=True
    )

    assert counts == {"reviewed": 2, "refused": 1}
    statuses = dict(Assignment.objects.values_list("pk", "review_status"))
    assert statuses == {
        first.pk: ReviewStatus.APPROVED,
        second.pk: ReviewStatus.APPROVED,
        third.pk: ReviewStatus.PENDING,
    }
    assert balances(requester_account=project.account) == {"available": 1, "fees": 2}

    funds_deposit(requester_account=project.account, amount_cents=100, reference="W2")
    assert assignments_review(project=project, assignment_ids=[third.pk], approve=True) == {
        "reviewed": 1,
        "refused": 0,
    }
    assert balances(requester_account=project.account) == {"available": 95, "fees": 3}


def test_auto_approval_pays_due_answers_of_several_projects_in_batches(answer, balances):
    projects = [ProjectFactory(overlap_min=1, overlap_max=1) for _ in range(2)]
    for project in projects:
        TaskFactory.create_batch(3, project=project)
    answers = [answer(project) for project in projects for _ in range(3)]
    Assignment.objects.filter(pk__in=[a.pk for a in answers[:5]]).update(
        submitted_at=timezone.now() - timedelta(days=4)
    )

    assert assignments_auto_approve() == 5
    assert assignments_auto_approve() == 0

    approved = set(
        Assignment.objects.filter(review_status=ReviewStatus.APPROVED).values_list("pk", flat=True)
    )
    assert approved == {a.pk for a in answers[:5]}
    assert balances()["fees"] == 3 + 2  # fee(15) on one project's 3 answers, fee(10) on 2
    assert LedgerTransaction.objects.filter(kind="pay", assignment__isnull=False).count() == 5
