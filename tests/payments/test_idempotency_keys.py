"""Money idempotency keys that cannot collide (issue 12, finding 1 and the deposit key of
finding 7; docs/security.md, "Money idempotency keys").

A key names one movement of money. Client-chosen keys live under ``client:<operation>:<caller>:``
so they never equal a server-made key or another organisation's key, and the ledger refuses a
key replayed with another kind, other amounts or other accounts (409 ``idempotency_key_reused``).
"""

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Role
from marketplace.services.bonuses import BonusError, bonus_grant
from marketplace.services.escrow import escrow_pay
from marketplace.services.projects import project_publish
from payments import ledger
from payments.models import (
    Bonus,
    CardRefund,
    CardRefundStatus,
    LedgerEntry,
    LedgerTransaction,
    Payout,
    TransactionKind,
)
from payments.services.funds import card_payment_start, card_payment_succeeded, funds_deposit
from payments.services.payouts import payout_request
from payments.services.refunds import RefundError, funds_refund, refunds_in_flight_account

REFUNDS = "/api/v1/funds/refunds/"


def _pay_by_card(requester, cents: int, key: str):
    payment = card_payment_start(
        user=requester, amount_cents=cents, payment_method="pm_card_visa", request_key=key
    )
    return card_payment_succeeded(payment_intent_id=payment.payment_intent_id)


def _available(user) -> int:
    return ledger.requester_available_account(user.requester_account_id).balance_cents


def _next_id_is(model, next_id: int) -> None:
    """Ids are a sequence: sooner or later a row has any given id. Jump there."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)",
            [model._meta.db_table, next_id],
        )


def _ledger_size() -> tuple[int, int]:
    return LedgerTransaction.objects.count(), LedgerEntry.objects.count()


# --- The attack of finding 1 -----------------------------------------------------------------


@pytest.mark.django_db
def test_idempotency_key_paid_cannot_pose_as_a_settled_refund_and_reserve_a_refund_for_free(
    api_client, requester, other_requester, stripe_settings
):
    attacker = requester
    # Another organisation's refund gets the id equal to the attacker's organisation id, and
    # Stripe settles it: its ledger movement was keyed ``refund:<id>:paid`` before the fix.
    _next_id_is(CardRefund, attacker.requester_account_id)
    _pay_by_card(other_requester, 1_000, "victim-topup")
    [settled] = funds_refund(user=other_requester, amount_cents=1_000, request_key="v-1")
    assert settled.pk == attacker.requester_account_id
    assert settled.status == CardRefundStatus.SUCCEEDED

    _pay_by_card(attacker, 2_000, "attacker-topup")
    api_client.force_authenticate(attacker)
    response = api_client.post(
        REFUNDS, {"amount_cents": 2_000}, format="json", HTTP_IDEMPOTENCY_KEY="paid"
    )

    # Either refused (nothing reserved) or a real refund that was paid for: never free money.
    refunded = sum(
        r.amount_cents
        for r in CardRefund.objects.filter(requester_account=attacker.requester_account_id)
    )
    assert response.status_code in (201, 409), response.content
    assert _available(attacker) + refunded == 2_000
    assert refunds_in_flight_account().balance_cents == sum(
        r.amount_cents for r in CardRefund.objects.filter(status=CardRefundStatus.PENDING)
    )
    # The settled refund's own movement is untouched and still the only one of its kind there.
    assert LedgerTransaction.objects.filter(kind=TransactionKind.REFUND_PAID).count() == (
        CardRefund.objects.filter(status=CardRefundStatus.SUCCEEDED).count()
    )


@pytest.mark.django_db
def test_a_refund_key_reused_for_another_amount_is_refused_and_another_organisation_may_use_it(
    api_client, requester, other_requester, stripe_settings
):
    _pay_by_card(requester, 3_000, "a")
    _pay_by_card(other_requester, 3_000, "b")
    api_client.force_authenticate(requester)
    first = api_client.post(REFUNDS, {"amount_cents": 500}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    again = api_client.post(REFUNDS, {"amount_cents": 500}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    other = api_client.post(REFUNDS, {"amount_cents": 900}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    api_client.force_authenticate(other_requester)
    theirs = api_client.post(
        REFUNDS, {"amount_cents": 700}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )

    assert first.status_code == 201 and again.status_code == 201
    assert [r["id"] for r in again.json()] == [r["id"] for r in first.json()]
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert theirs.status_code == 201
    assert (_available(requester), _available(other_requester)) == (2_500, 2_300)


# --- ledger.post: a key names one movement --------------------------------------------------


@pytest.fixture
def two_accounts(requester, other_requester):
    funds_deposit(requester_account=requester.requester_account, amount_cents=1_000, reference="A")
    funds_deposit(
        requester_account=other_requester.requester_account, amount_cents=1_000, reference="B"
    )
    return (
        ledger.requester_available_account(requester.requester_account),
        ledger.requester_available_account(other_requester.requester_account),
    )


@pytest.mark.django_db
def test_an_identical_replay_returns_the_same_transaction_and_writes_nothing(two_accounts):
    source, destination = two_accounts
    first = ledger.transfer(
        source=source,
        destination=destination,
        amount_cents=100,
        kind="deposit",
        idempotency_key="k",
    )
    size = _ledger_size()

    again = ledger.transfer(
        source=source,
        destination=destination,
        amount_cents=100,
        kind="deposit",
        idempotency_key="k",
    )

    assert again.pk == first.pk
    assert _ledger_size() == size
    source.refresh_from_db()
    assert source.balance_cents == 900


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"amount_cents": 101}, id="other amount"),
        pytest.param({"kind": TransactionKind.BONUS}, id="other kind"),
        pytest.param({"swap": True}, id="other direction"),
        pytest.param({"to_bank": True}, id="other account"),
    ],
)
def test_the_same_key_for_another_movement_raises_a_conflict_and_moves_nothing(
    two_accounts, change
):
    source, destination = two_accounts
    ledger.transfer(
        source=source,
        destination=destination,
        amount_cents=100,
        kind="deposit",
        idempotency_key="k",
    )
    size = _ledger_size()
    arguments = {
        "source": source,
        "destination": destination,
        "amount_cents": 100,
        "kind": "deposit",
    }
    if change.pop("swap", False):
        arguments.update(source=destination, destination=source)
    if change.pop("to_bank", False):
        arguments["destination"] = ledger.external_bank_account()
    arguments.update(change)

    with pytest.raises(ledger.IdempotencyKeyReusedError) as raised:
        ledger.transfer(idempotency_key="k", **arguments)

    assert raised.value.code == "idempotency_key_reused"
    assert raised.value.http_status == 409
    assert _ledger_size() == size


@given(
    operation=st.sampled_from(["refund", "bonus", "deposit"]),
    caller=st.integers(min_value=1, max_value=10**12),
    value=st.text(min_size=1, max_size=100),
    other_caller=st.integers(min_value=1, max_value=10**12),
    other_value=st.text(min_size=1, max_size=100),
)
def test_client_keys_never_equal_a_server_key_or_another_callers_key(
    operation, caller, value, other_caller, other_value
):
    key = ledger.client_idempotency_key(operation, caller, value)
    server_prefixes = ("pay:", "payout:", "card:", "sys:", "refund:", "bonus:", "deposit:")
    assert key.startswith("client:") and not key.startswith(server_prefixes)
    if (caller, value) != (other_caller, other_value):
        assert key != ledger.client_idempotency_key(operation, other_caller, other_value)
    assert key != ledger.client_idempotency_key(
        "refund" if operation != "refund" else "bonus", caller, value
    )


# --- Deposits (finding 7): the key names the organisation ------------------------------------


@pytest.mark.django_db
def test_two_organisations_with_the_same_bank_reference_are_both_credited(
    requester, other_requester
):
    mine = funds_deposit(
        requester_account=requester.requester_account, amount_cents=5_000, reference="INV-1"
    )
    theirs = funds_deposit(
        requester_account=other_requester.requester_account, amount_cents=7_000, reference="INV-1"
    )
    again = funds_deposit(
        requester_account=requester.requester_account, amount_cents=5_000, reference="INV-1"
    )

    assert mine.pk != theirs.pk and again.pk == mine.pk
    assert (_available(requester), _available(other_requester)) == (5_000, 7_000)
    with pytest.raises(ledger.IdempotencyKeyReusedError):
        funds_deposit(
            requester_account=requester.requester_account, amount_cents=6_000, reference="INV-1"
        )


@pytest.mark.django_db
def test_a_deposit_recorded_under_the_old_key_is_not_credited_twice(requester, other_requester):
    """Before the fix a deposit's key was ``deposit:<reference>``; those rows keep their
    meaning for their organisation, and no longer block another organisation's transfer."""
    old = ledger.transfer(
        source=ledger.external_bank_account(),
        destination=ledger.requester_available_account(requester.requester_account),
        amount_cents=5_000,
        kind=TransactionKind.DEPOSIT,
        idempotency_key="deposit:INV-9",
    )

    again = funds_deposit(
        requester_account=requester.requester_account, amount_cents=5_000, reference="INV-9"
    )
    funds_deposit(
        requester_account=other_requester.requester_account, amount_cents=3_000, reference="INV-9"
    )

    assert again.pk == old.pk
    assert (_available(requester), _available(other_requester)) == (5_000, 3_000)


@pytest.mark.django_db
def test_staff_api_deposits_of_two_organisations_with_one_reference(
    api_client, staff_user, requester, other_requester
):
    api_client.force_authenticate(staff_user)
    answers = [
        api_client.post(
            "/api/v1/funds/deposits/",
            {"requester_account_id": account_id, "amount_cents": cents, "reference": "REF"},
            format="json",
        )
        for account_id, cents in [
            (requester.requester_account_id, 1_000),
            (other_requester.requester_account_id, 2_000),
            (requester.requester_account_id, 1_500),
        ]
    ]

    assert [answer.status_code for answer in answers] == [201, 201, 409]
    assert answers[2].json()["error"]["code"] == "idempotency_key_reused"
    assert (_available(requester), _available(other_requester)) == (1_000, 2_000)


# --- Bonuses: per organisation, refused with other parameters --------------------------------


@pytest.mark.django_db
def test_bonus_client_keys_are_per_organisation_and_refused_for_another_bonus(
    requester, other_requester, draft, answer, make_user
):
    worker = make_user(Role.WORKER)
    for owner, reference in [(requester, "R1"), (other_requester, "R2")]:
        funds_deposit(
            requester_account=owner.requester_account, amount_cents=1_000, reference=reference
        )
        answer(project_publish(project=draft(owner=owner, tasks=2)), worker=worker)

    mine = bonus_grant(
        granted_by=requester, worker=worker, amount_cents=50, message="m", client_key="1:x"
    )
    theirs = bonus_grant(
        granted_by=other_requester, worker=worker, amount_cents=70, message="m", client_key="1:x"
    )
    with pytest.raises(BonusError) as raised:
        bonus_grant(
            granted_by=requester, worker=worker, amount_cents=60, message="m", client_key="1:x"
        )

    assert mine.pk != theirs.pk
    assert raised.value.code == "idempotency_key_reused" and raised.value.http_status == 409
    assert Bonus.objects.count() == 2
    assert mine.ledger_transaction.idempotency_key == (
        f"client:bonus:{requester.requester_account_id}:1:x"
    )
    assert ledger.worker_payable_account(worker).balance_cents == 120


# --- Server-made keys: a client key naming them is kept apart --------------------------------


@pytest.mark.django_db
def test_client_keys_that_spell_server_keys_do_not_stop_payments_payouts_or_refunds(
    requester, draft, answer, stripe_settings
):
    """Every client-facing operation is tried with keys spelling the server-made keys of the
    approval, payout and refund that follow; each of those still moves its money."""
    funds_deposit(requester_account=requester.requester_account, amount_cents=5_000, reference="D")
    assignment = answer(project_publish(project=draft(tasks=2)))
    worker = assignment.worker
    _next_id_is(Payout, 900_001)
    _next_id_is(CardRefund, 900_001)
    spelled = [
        f"pay:assignment:{assignment.pk}",
        "payout:900001:request",
        "900001:paid",
        "sys:refund:900001:paid",
    ]
    for n, key in enumerate(spelled):
        funds_deposit(
            requester_account=requester.requester_account, amount_cents=100 + n, reference=key
        )
        bonus_grant(
            granted_by=requester, worker=worker, amount_cents=500, message="m", client_key=key
        )

    escrow_pay(assignment=assignment)
    payout = payout_request(worker=worker, amount_cents=500)
    _pay_by_card(requester, 1_000, "c")
    [refund] = funds_refund(user=requester, amount_cents=1_000, request_key="r")

    pay = LedgerTransaction.objects.get(idempotency_key=f"pay:assignment:{assignment.pk}")
    assert pay.kind == TransactionKind.PAY and pay.assignment_id == assignment.pk
    requested = LedgerTransaction.objects.get(idempotency_key=f"payout:{payout.pk}:request")
    assert requested.kind == TransactionKind.PAYOUT_REQUEST
    assert refund.status == CardRefundStatus.SUCCEEDED
    assert LedgerTransaction.objects.get(idempotency_key=f"sys:refund:{refund.pk}:paid").kind == (
        TransactionKind.REFUND_PAID
    )
    assert refunds_in_flight_account().balance_cents == 0


@pytest.mark.django_db
def test_a_refund_request_with_a_used_key_and_another_amount_reserves_nothing(
    requester, stripe_settings
):
    _pay_by_card(requester, 2_000, "e")
    funds_refund(user=requester, amount_cents=500, request_key="same")
    size = _ledger_size()

    with pytest.raises(RefundError) as raised:
        funds_refund(user=requester, amount_cents=800, request_key="same")

    assert raised.value.code == "idempotency_key_reused"
    assert _ledger_size() == size
    assert _available(requester) == 1_500


@pytest.mark.django_db
def test_two_organisations_sending_the_same_card_payment_key_get_their_own_payments(
    api_client, requester, other_requester, stripe_settings
):
    """Stripe's key is ``topup:<organisation id>:<key>``. (localstripe ignores Stripe keys, so
    this shows the payments stay apart end to end, not Stripe's own replay.)"""
    created = []
    for user in (requester, other_requester):
        api_client.force_authenticate(user)
        created.append(
            api_client.post(
                "/api/v1/funds/card-payments/",
                {"amount_cents": 1_000, "payment_method": "pm_card_visa"},
                format="json",
                HTTP_IDEMPOTENCY_KEY="same",
            ).json()
        )
    for payment in created:
        card_payment_succeeded(payment_intent_id=payment["payment_intent_id"])

    assert created[0]["payment_intent_id"] != created[1]["payment_intent_id"]
    assert (_available(requester), _available(other_requester)) == (1_000, 1_000)
