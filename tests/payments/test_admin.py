"""The Django admin shows every payments model to staff, read-only: money rows are changed only
through the product's services (payout queue, deposits, refunds, reconciliation)."""

import pytest
from django.apps import apps
from django.contrib.admin.sites import site
from django.urls import reverse

from accounts.models import Role
from marketplace.services.projects import project_publish
from payments import ledger
from payments.models import (
    Bonus,
    CardPayment,
    CardPaymentStatus,
    CardRefund,
    PayoutAccount,
    ReconciliationIssue,
    TransactionKind,
    WebhookEvent,
)
from payments.services.funds import funds_deposit
from payments.services.payouts import payout_request

PAYMENTS_MODELS = list(apps.get_app_config("payments").get_models())


def _admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:payments_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def money_rows(requester, make_user, draft):
    """At least one row of each payments model, so the changelists render real rows."""
    account = requester.requester_account
    funds_deposit(requester_account=account, amount_cents=10_000, reference="BANK-1")
    project_publish(project=draft(tasks=2))  # a ProjectEscrow and its reservation
    worker = make_user(Role.WORKER)
    bonus_movement = ledger.transfer(
        source=ledger.external_bank_account(),
        destination=ledger.worker_payable_account(worker),
        amount_cents=2_000,
        kind=TransactionKind.BONUS,
    )
    Bonus.objects.create(
        requester_account=account,
        worker=worker,
        amount_cents=2_000,
        fee_cents=0,
        message="Thanks",
        client_key="b1",
        ledger_transaction=bonus_movement,
    )
    payout_request(worker=worker, amount_cents=1_500, method="manual")
    PayoutAccount.objects.create(worker=worker, provider_account_id="acct_admin_1")
    payment = CardPayment.objects.create(
        requester_account=account,
        payment_intent_id="pi_admin_1",
        amount_cents=3_000,
        status=CardPaymentStatus.SUCCEEDED,
    )
    CardRefund.objects.create(
        requester_account=account, card_payment=payment, amount_cents=700, request_key="r1"
    )
    WebhookEvent.objects.create(event_id="evt_admin_1", type="payment_intent.succeeded", payload={})
    ReconciliationIssue.objects.create(
        kind="transfer_without_payout", reference="transfer:tr_x", detail="planted"
    )


def test_every_payments_model_is_registered_read_only(staff_user, rf):
    request = rf.get("/")
    request.user = staff_user
    unregistered = [m.__name__ for m in PAYMENTS_MODELS if m not in site._registry]

    assert unregistered == []
    for model in PAYMENTS_MODELS:
        model_admin = site._registry[model]
        assert model_admin.has_view_permission(request), model.__name__
        assert not model_admin.has_add_permission(request), model.__name__
        assert not model_admin.has_change_permission(request), model.__name__
        assert not model_admin.has_delete_permission(request), model.__name__


@pytest.mark.django_db
@pytest.mark.parametrize("model", PAYMENTS_MODELS, ids=lambda m: m.__name__)
def test_staff_open_each_changelist_and_a_row_but_cannot_add_change_or_delete(
    client, staff_user, money_rows, model
):
    client.force_login(staff_user)
    row = model.objects.order_by("pk").first()
    assert row is not None, f"the fixture made no {model.__name__}"

    changelist = client.get(_admin_url(model, "changelist"))
    detail = client.get(_admin_url(model, "change", row.pk))
    added = client.post(_admin_url(model, "add"), {})
    changed = client.post(_admin_url(model, "change", row.pk), {})
    deleted = client.post(_admin_url(model, "delete", row.pk), {"post": "yes"})

    assert changelist.status_code == 200
    assert f'href="{_admin_url(model, "add")}"' not in changelist.content.decode()
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()  # shown, not editable
    assert (added.status_code, changed.status_code, deleted.status_code) == (403, 403, 403)
    assert model.objects.filter(pk=row.pk).exists()


@pytest.mark.django_db
def test_requesters_and_workers_do_not_reach_the_payments_admin(client, requester, money_rows):
    client.force_login(requester)
    response = client.get(_admin_url(ReconciliationIssue, "changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
