"""Worked examples: money from a requester's account through escrow to workers and the platform.
Fee 20 %, rewards 5 cents unless a story says otherwise."""

import pytest

from marketplace.models import ProjectStatus, ReviewStatus
from marketplace.pricing import estimate_cost
from marketplace.services.escrow import InsufficientFundsError
from marketplace.services.projects import (
    ProjectError,
    project_complete,
    project_publish,
    project_update,
    tasks_add,
)
from marketplace.services.reviews import assignment_approve, assignment_reject
from payments.models import LedgerEntry, LedgerTransaction, ProjectEscrow
from payments.services.funds import funds_deposit
from tests.marketplace.factories import ProjectFactory, TaskFactory

pytestmark = pytest.mark.django_db


def test_fund_publish_approve_reject_complete_moves_every_cent_once(
    requester, draft, answer, balances
):
    account = requester.requester_account
    funds_deposit(requester_account=account, amount_cents=10_000, reference="WIRE-1")

    project = project_publish(project=draft(tasks=10))
    # 10 tasks x 3 answers x 5 cents = 150 in rewards, 30 in fees, all held in escrow.
    assert balances(requester_account=account, project=project) == {
        "available": 10_000 - 180,
        "escrow": 180,
        "fees": 0,
    }

    first = answer(project)
    second = answer(project)
    assignment_approve(assignment_id=first.pk)
    # The worker earns the reward, the platform its 20 %, both out of escrow.
    assert balances(requester_account=account, project=project, worker=first.worker) == {
        "available": 9_820,
        "escrow": 174,
        "fees": 1,
        "worker": 5,
    }

    assignment_reject(assignment_id=second.pk, reason="Answered without reading")
    # A rejection moves nothing: the reward waits in escrow for the replacement answer.
    assert balances(project=project, worker=second.worker) == {
        "escrow": 174,
        "fees": 1,
        "worker": 0,
    }

    project_complete(project=project)
    # Completion returns what no open work can still need.
    assert balances(requester_account=account, project=project) == {
        "available": 9_994,
        "escrow": 0,
        "fees": 1,
    }
    assert LedgerEntry.objects.count() == 2 + 2 + 3 + 2  # deposit, reserve, pay, release


def test_publishing_without_enough_funds_says_how_much_is_missing_and_publishes_nothing(
    requester, draft
):
    funds_deposit(requester_account=requester.requester_account, amount_cents=100, reference="W")
    project = draft(tasks=10)  # needs 180 cents

    with pytest.raises(ProjectError, match=r"has \$1\.00 available\. Add at least \$0\.80"):
        project_publish(project=project)

    project.refresh_from_db()
    assert project.status == ProjectStatus.DRAFT
    assert not LedgerTransaction.objects.filter(kind="reserve").exists()
    assert not ProjectEscrow.objects.filter(project=project, reserved_cents__gt=0).exists()


def test_raising_overlap_on_a_live_project_reserves_only_the_extra_slots(
    requester, draft, balances
):
    account = requester.requester_account
    funds_deposit(requester_account=account, amount_cents=1_000, reference="W")
    project = project_publish(project=draft(tasks=10))

    project_update(project=project, overlap_max=4)

    # 10 more slots: 50 cents of rewards and 10 of fees.
    assert balances(requester_account=account, project=project)["escrow"] == 180 + 60


def test_raising_overlap_beyond_the_funds_is_refused_with_the_shortfall(requester, draft):
    funds_deposit(requester_account=requester.requester_account, amount_cents=200, reference="W")
    project = project_publish(project=draft(tasks=10))

    with pytest.raises(ProjectError, match="Add at least"):
        project_update(project=project, overlap_max=5)
    project.refresh_from_db()
    assert project.overlap_max == 3


def test_fees_on_small_rewards_follow_the_cumulative_total_not_per_answer_rounding(
    requester, draft, answer, balances
):
    funds_deposit(requester_account=requester.requester_account, amount_cents=1_000, reference="W")
    # 3-cent rewards: 20 % is 0.6 cents an answer. Reserving 30 answers: 90 + 18 = 108.
    project = project_publish(project=draft(tasks=10, reward_cents=3))
    assert balances(project=project)["escrow"] == 108

    fees_after = []
    for _ in range(5):
        assignment_approve(assignment_id=answer(project).pk)
        fees_after.append(balances()["fees"])

    # ceil(0.6), ceil(1.2), ceil(1.8), ceil(2.4), ceil(3.0): never more than the true fee.
    assert fees_after == [1, 2, 2, 3, 3]
    assert balances(project=project)["escrow"] == 108 - 5 * 3 - 3


def test_gold_answers_are_reserved_for_at_the_estimated_share(requester, draft):
    funds_deposit(requester_account=requester.requester_account, amount_cents=10_000, reference="W")
    project = draft(tasks=9, gold_ratio=0.1)
    tasks_add(project=project, items=[{"data": {"text": "gold"}, "gold_answer": "cat"}])
    project = project_publish(project=project)

    # 27 regular answers come with ceil(27 x 0.1 / 0.9) = 3 gold ones: 30 x 5 + 20 % = 180,
    # exactly the estimate the requester saw before publishing.
    estimate = estimate_cost(tasks=9, overlap_max=3, reward_cents=5, gold_ratio=0.1)
    assert project.escrow.reserved_cents == estimate.total_cents == 180


def test_an_approval_beyond_the_reservation_draws_on_available_funds(answer, balances):
    """A project made active without a reservation (older data, factories) still pays its
    workers, from the organisation's available funds."""
    project = ProjectFactory(funded=False, overlap_min=1, overlap_max=1)
    TaskFactory(project=project)
    funds_deposit(requester_account=project.account, amount_cents=100, reference="W")

    assignment_approve(assignment_id=answer(project).pk)

    assert balances(requester_account=project.account, project=project) == {
        "available": 94,
        "escrow": 0,
        "fees": 1,
    }


def test_an_approval_the_organisation_cannot_cover_is_refused_and_moves_nothing(answer):
    project = ProjectFactory(funded=False, overlap_min=1, overlap_max=1)
    TaskFactory(project=project)
    assignment = answer(project)

    with pytest.raises(InsufficientFundsError, match=r"lacks \$0\.06"):
        assignment_approve(assignment_id=assignment.pk)

    assignment.refresh_from_db()
    assert assignment.review_status == ReviewStatus.PENDING
    assert not LedgerTransaction.objects.filter(kind="pay").exists()
