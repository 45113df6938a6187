"""Bonuses: requester to worker with a message, once per client key, fee on top."""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import Role
from marketplace.services.assignments import assignment_claim
from marketplace.services.bonuses import BonusError, bonus_grant
from marketplace.services.escrow import InsufficientFundsError
from marketplace.services.projects import project_publish
from payments import ledger
from payments.models import Bonus, LedgerTransaction
from payments.services.funds import funds_deposit


@pytest.fixture
def worked(requester, draft, answer):
    """A live project with one answer; returns the assignment (its worker may get a bonus)."""
    funds_deposit(requester_account=requester.requester_account, amount_cents=1_000, reference="W")
    project = project_publish(project=draft(tasks=2))
    return answer(project)


@pytest.mark.django_db
def test_a_bonus_pays_the_worker_and_the_fee_from_available_funds(requester, worked, balances):
    bonus = bonus_grant(
        granted_by=requester,
        worker=worked.worker,
        amount_cents=50,
        message="Careful work on hard items",
        client_key="b-1",
        project=worked.project,
    )
    again = bonus_grant(
        granted_by=requester,
        worker=worked.worker,
        amount_cents=50,
        message="Careful work on hard items",
        client_key="b-1",
    )

    assert again.pk == bonus.pk
    # 1,000 deposited, 36 reserved for 2 tasks x 3 answers, then 50 + 10 fee for the bonus.
    assert balances(requester_account=requester.requester_account, worker=worked.worker) == {
        "available": 1_000 - 36 - 60,
        "worker": 50,
        "fees": 10,
    }
    assert LedgerTransaction.objects.filter(kind="bonus").count() == 1


@pytest.mark.django_db
def test_a_client_key_reused_for_a_different_bonus_is_refused(requester, worked):
    bonus_grant(
        granted_by=requester, worker=worked.worker, amount_cents=50, message="x", client_key="k"
    )
    with pytest.raises(BonusError, match="different bonus"):
        bonus_grant(
            granted_by=requester, worker=worked.worker, amount_cents=70, message="x", client_key="k"
        )


@pytest.mark.django_db
def test_bonuses_go_only_to_workers_who_answered_the_organisations_tasks(
    requester, worked, make_user
):
    stranger = make_user(Role.WORKER)
    with pytest.raises(BonusError, match="answered your tasks"):
        bonus_grant(
            granted_by=requester, worker=stranger, amount_cents=50, message="x", client_key="s"
        )


@pytest.mark.django_db
def test_a_bonus_beyond_the_funds_says_how_much_is_missing(requester, worked):
    with pytest.raises(InsufficientFundsError, match=r"add at least \$0\.56"):
        bonus_grant(
            granted_by=requester,
            worker=worked.worker,
            amount_cents=850,  # 850 + 170 fee = 1,020; 964 available
            message="x",
            client_key="big",
        )
    assert not Bonus.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_same_bonus_sent_from_eight_threads_at_once_is_paid_once(requester, worked):
    start = threading.Barrier(8)
    results = []

    def send():
        try:
            start.wait()
            bonus = bonus_grant(
                granted_by=requester,
                worker=worked.worker,
                amount_cents=20,
                message="Thanks",
                client_key="race",
            )
            results.append(bonus.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 8 and len(set(results)) == 1
    assert ledger.worker_payable_account(worked.worker).balance_cents == 20


@pytest.mark.django_db
def test_bonus_api_and_page(api_client, client, requester, worked):
    api_client.force_authenticate(requester)
    body = {
        "worker_id": worked.worker_id,
        "amount_cents": 30,
        "message": "Great",
        "client_key": "api-1",
        "project_id": worked.project_id,
    }
    created = api_client.post("/api/v1/bonuses/", body, format="json")
    repeated = api_client.post("/api/v1/bonuses/", body, format="json")
    assert created.status_code == repeated.status_code == 201
    assert created.json()["id"] == repeated.json()["id"]

    client.force_login(requester)
    client.post(
        reverse("marketplace:bonus_new", args=[worked.project_id]),
        {"worker": worked.worker_id, "amount": "0.25", "message": "Page", "client_key": "p-1"},
    )
    assert ledger.worker_payable_account(worked.worker).balance_cents == 55

    client.force_login(worked.worker)
    page = client.get(reverse("workers:earnings")).content.decode()
    assert "$0.55" in page and "Page" in page and "Great" in page


@pytest.mark.django_db
def test_staff_record_a_bank_transfer_from_the_page(client, staff_user, requester, balances):
    client.force_login(staff_user)
    form = {
        "requester_account": requester.requester_account_id,
        "amount": "120.50",
        "reference": "BANK-9",
    }
    client.post(reverse("payments:deposit_new"), form)
    client.post(reverse("payments:deposit_new"), form)

    assert balances(requester_account=requester.requester_account)["available"] == 12_050


@pytest.mark.django_db
def test_a_claim_without_a_submitted_answer_earns_no_bonus(requester, worked, make_user):
    """Finding 6: a live or skipped assignment is not work a bonus can reward."""
    claimer = make_user(Role.WORKER)
    assignment_claim(worker=claimer, project=worked.project)
    with pytest.raises(BonusError, match="answered your tasks"):
        bonus_grant(
            granted_by=requester, worker=claimer, amount_cents=50, message="x", client_key="c"
        )
    assert not Bonus.objects.filter(worker=claimer).exists()


@pytest.mark.django_db
def test_bonuses_stop_at_the_organisations_and_the_workers_daily_caps(
    requester, other_requester, worked, answer, draft, settings
):
    settings.BONUS_DAILY_CAP_PER_REQUESTER_CENTS = 100
    settings.BONUS_DAILY_CAP_PER_WORKER_CENTS = 150
    grant = {"granted_by": requester, "worker": worked.worker, "message": "x"}
    bonus_grant(**grant, amount_cents=60, client_key="a")
    with pytest.raises(BonusError, match=r"capped at \$1\.00 a day") as refused:
        bonus_grant(**grant, amount_cents=41, client_key="b")
    assert refused.value.code == "bonus_cap_reached" and refused.value.http_status == 429
    bonus_grant(**grant, amount_cents=40, client_key="c")  # exactly at the cap

    # Another organisation may still pay the same worker, up to the worker's own cap.
    account = other_requester.requester_account
    funds_deposit(requester_account=account, amount_cents=1_000, reference="O")
    other_project = project_publish(project=draft(owner=other_requester, tasks=2))
    answer(other_project, worker=worked.worker)
    other = {"granted_by": other_requester, "worker": worked.worker, "message": "y"}
    bonus_grant(**other, amount_cents=50, client_key="d")
    with pytest.raises(BonusError, match="for this worker"):
        bonus_grant(**other, amount_cents=1, client_key="e")
    assert sum(b.amount_cents for b in Bonus.objects.filter(worker=worked.worker)) == 150


@pytest.mark.django_db(transaction=True)
def test_concurrent_bonuses_cannot_overshoot_the_daily_cap(requester, worked, settings):
    settings.BONUS_DAILY_CAP_PER_REQUESTER_CENTS = 100
    start = threading.Barrier(8)
    paid, refused = [], []

    def send(n):
        try:
            start.wait()
            bonus_grant(
                granted_by=requester,
                worker=worked.worker,
                amount_cents=30,
                message="Thanks",
                client_key=f"race-{n}",
            )
            paid.append(n)
        except BonusError:
            refused.append(n)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(paid) == 3 and len(refused) == 5
    assert ledger.worker_payable_account(worked.worker).balance_cents == 90
