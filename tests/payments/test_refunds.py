"""Refunds of unspent funds to the card, through localstripe's refunds API: newest payment
first, never more than a payment's unrefunded amount, reserved at once, out of the ledger only
when Stripe confirms, and once per request key."""

import pytest
import requests
from django.urls import reverse

from payments import ledger
from payments.models import CardRefund, CardRefundStatus, LedgerTransaction, TransactionKind
from payments.services.funds import card_payment_start, card_payment_succeeded, funds_deposit
from payments.services.refunds import (
    RefundError,
    card_refund_send,
    funds_refund,
    refunds_in_flight_account,
)


def _pay_by_card(requester, cents: int, key: str):
    """A card top-up, credited as the webhook would (``card_payment_succeeded`` re-fetches)."""
    payment = card_payment_start(
        user=requester, amount_cents=cents, payment_method="pm_card_visa", request_key=key
    )
    return card_payment_succeeded(payment_intent_id=payment.payment_intent_id)


def _available(requester) -> int:
    return ledger.requester_available_account(requester.requester_account).balance_cents


def _refunded_at_stripe(url, intent_id) -> int:
    refunds = requests.get(
        f"{url}/v1/refunds",
        params={"payment_intent": intent_id},
        headers={"Authorization": "Bearer sk_test_quorum"},
        timeout=5,
    ).json()["data"]
    return sum(refund["amount"] for refund in refunds)


@pytest.mark.django_db
def test_a_refund_goes_back_to_the_newest_card_payments_first(
    requester, stripe_settings, localstripe_url
):
    older = _pay_by_card(requester, 3_000, "a")
    newer = _pay_by_card(requester, 2_000, "b")
    assert _available(requester) == 5_000

    refunds = funds_refund(user=requester, amount_cents=2_500, request_key="r1")

    assert [(r.card_payment_id, r.amount_cents, r.status) for r in refunds] == [
        (newer.pk, 2_000, CardRefundStatus.SUCCEEDED),
        (older.pk, 500, CardRefundStatus.SUCCEEDED),
    ]
    assert _refunded_at_stripe(localstripe_url, newer.payment_intent_id) == 2_000
    assert _refunded_at_stripe(localstripe_url, older.payment_intent_id) == 500
    assert _available(requester) == 2_500
    assert refunds_in_flight_account().balance_cents == 0
    assert ledger.external_card_account().balance_cents == -5_000 + 2_500

    # The same request again refunds nothing more; the next one only what is left on cards.
    assert [r.pk for r in funds_refund(user=requester, amount_cents=2_500, request_key="r1")] == [
        r.pk for r in refunds
    ]
    assert _available(requester) == 2_500
    funds_refund(user=requester, amount_cents=2_500, request_key="r2")
    assert _refunded_at_stripe(localstripe_url, older.payment_intent_id) == 3_000
    assert _available(requester) == 0


@pytest.mark.django_db
def test_bank_money_and_spent_money_are_not_refunded_to_cards(requester, stripe_settings):
    _pay_by_card(requester, 1_000, "c")
    funds_deposit(requester_account=requester.requester_account, amount_cents=5_000, reference="B")

    with pytest.raises(RefundError, match=r"Only \$10.00 can go back to cards"):
        funds_refund(user=requester, amount_cents=1_500, request_key="r3")
    with pytest.raises(RefundError, match="refund up to"):
        funds_refund(user=requester, amount_cents=6_500, request_key="r4")

    assert _available(requester) == 6_000
    assert not CardRefund.objects.exists()
    assert not LedgerTransaction.objects.filter(kind=TransactionKind.REFUND_REQUEST).exists()


@pytest.mark.django_db
def test_a_refund_refused_by_stripe_returns_to_available_funds(
    requester, stripe_settings, localstripe_url
):
    _pay_by_card(requester, 1_000, "d")
    requests.delete(f"{localstripe_url}/_config/data", timeout=5)  # Stripe no longer knows it

    [refund] = funds_refund(user=requester, amount_cents=1_000, request_key="r5")

    assert refund.status == CardRefundStatus.FAILED
    assert "Not Found" in refund.last_error
    assert _available(requester) == 1_000
    assert refunds_in_flight_account().balance_cents == 0
    assert LedgerTransaction.objects.filter(kind=TransactionKind.REFUND_CANCEL).count() == 1


@pytest.mark.django_db
def test_a_refund_left_pending_by_a_crash_is_found_not_repeated(
    requester, stripe_settings, localstripe_url
):
    payment = _pay_by_card(requester, 1_000, "e")
    [refund] = funds_refund(user=requester, amount_cents=400, request_key="r6")
    # As if the process had died after Stripe refunded but before our commit:
    CardRefund.objects.filter(pk=refund.pk).update(status=CardRefundStatus.PENDING)

    card_refund_send(refund_id=refund.pk)

    # localstripe ignores idempotency keys; the metadata lookup still finds the first refund.
    assert _refunded_at_stripe(localstripe_url, payment.payment_intent_id) == 400
    assert LedgerTransaction.objects.filter(kind=TransactionKind.REFUND_PAID).count() == 1


@pytest.mark.django_db
def test_refunds_from_the_funds_page_and_the_api(client, api_client, requester, stripe_settings):
    _pay_by_card(requester, 3_000, "f")
    client.force_login(requester)
    assert (
        "Refund unspent funds to your card"
        in client.get(reverse("payments:funds")).content.decode()
    )

    page = client.post(
        reverse("payments:refund_new"), {"amount": "10", "request_key": "page-1"}, follow=True
    )
    api_client.force_authenticate(requester)
    missing_key = api_client.post("/api/v1/funds/refunds/", {"amount_cents": 500}, format="json")
    too_much = api_client.post(
        "/api/v1/funds/refunds/", {"amount_cents": 9_000}, format="json", HTTP_IDEMPOTENCY_KEY="x"
    )
    done = api_client.post(
        "/api/v1/funds/refunds/", {"amount_cents": 500}, format="json", HTTP_IDEMPOTENCY_KEY="y"
    )

    assert "$10.00 refunded to your card." in page.content.decode()
    assert missing_key.json()["error"]["code"] == "idempotency_key_required"
    assert too_much.status_code == 409
    assert "amount_cents" in too_much.json()["error"]["fields"]
    assert done.status_code == 201 and done.json()[0]["status"] == "succeeded"
    assert len(api_client.get("/api/v1/funds/refunds/").json()) == 2
    assert _available(requester) == 1_500
