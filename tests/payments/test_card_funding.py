"""Funding by card: the real stripe SDK against localstripe on loopback. The ledger is credited
by the signed webhook only, once, whatever Stripe repeats or reorders."""

import hashlib
import hmac
import json
import time

import pytest
import requests
from django.urls import reverse

from payments import ledger
from payments.models import CardPayment, CardPaymentStatus, LedgerTransaction, WebhookEvent
from payments.services.funds import FundingError, card_payment_start

WEBHOOK_SECRET = "whsec_quorum_test"  # the secret the conftest's ``stripe_settings`` configures


@pytest.fixture
def webhooks_to(stripe_settings, live_server, localstripe_url):
    """localstripe delivers signed events to this test's live server."""
    requests.post(
        f"{localstripe_url}/_config/webhooks/quorum",
        data={
            "url": live_server.url + reverse("payments:stripe_webhook"),
            "secret": WEBHOOK_SECRET,
        },
        timeout=5,
    ).raise_for_status()
    return live_server.url + reverse("payments:stripe_webhook")


def _available(requester) -> int:
    return ledger.requester_available_account(requester.requester_account).balance_cents


def _wait_for(check, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def _signed(payload: bytes, timestamp: int | None = None) -> dict:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(
        WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    return {"Stripe-Signature": f"t={timestamp},v1={signature}", "Content-Type": "application/json"}


@pytest.mark.django_db(transaction=True)
def test_a_card_payment_is_credited_when_the_signed_webhook_arrives_and_only_once(
    requester, webhooks_to
):
    payment = card_payment_start(
        user=requester, amount_cents=2_500, payment_method="pm_card_visa", request_key="k1"
    )
    # The browser's "it worked" is not money yet.
    assert payment.status == CardPaymentStatus.CREATED
    assert _available(requester) == 0

    assert _wait_for(lambda: _available(requester) == 2_500), "webhook never credited"

    event = WebhookEvent.objects.filter(
        type="payment_intent.succeeded",
        payload__data__object__id=payment.payment_intent_id,
    ).first()
    payload = json.dumps(event.payload).encode()
    # Stripe repeats the delivery twice more: acknowledged, credited nothing.
    for _ in range(2):
        repeat = requests.post(webhooks_to, data=payload, headers=_signed(payload), timeout=5)
        assert repeat.status_code == 200
    assert _available(requester) == 2_500
    assert LedgerTransaction.objects.filter(kind="card_funding").count() == 1
    assert WebhookEvent.objects.filter(event_id=event.event_id).count() == 1
    assert WebhookEvent.objects.filter(processed_at__isnull=True).count() == 0
    assert CardPayment.objects.get(pk=payment.pk).status == CardPaymentStatus.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_a_late_failure_event_does_not_undo_a_succeeded_payment(requester, webhooks_to):
    payment = card_payment_start(
        user=requester, amount_cents=1_000, payment_method="pm_card_visa", request_key="k2"
    )
    assert _wait_for(lambda: _available(requester) == 1_000)
    stale = {
        "id": "evt_out_of_order",
        "type": "payment_intent.payment_failed",
        "data": {"object": {"id": payment.payment_intent_id, "last_payment_error": None}},
    }
    payload = json.dumps(stale).encode()

    response = requests.post(webhooks_to, data=payload, headers=_signed(payload), timeout=5)

    assert response.status_code == 200
    assert CardPayment.objects.get(pk=payment.pk).status == CardPaymentStatus.SUCCEEDED
    assert _available(requester) == 1_000


@pytest.mark.django_db(transaction=True)
def test_forged_or_stale_webhooks_are_refused_and_not_stored(requester, webhooks_to):
    forged = {
        "id": "evt_forged",
        "type": "payment_intent.succeeded",
        "data": {"object": {"id": "pi_forged"}},
    }
    payload = json.dumps(forged).encode()
    wrong_secret = {"Stripe-Signature": f"t={int(time.time())},v1={'0' * 64}"}
    too_old = _signed(payload, timestamp=int(time.time()) - 301)

    responses = [
        requests.post(webhooks_to, data=payload, headers=wrong_secret, timeout=5),
        requests.post(webhooks_to, data=payload, headers=too_old, timeout=5),
        requests.post(webhooks_to, data=payload, timeout=5),
    ]

    assert [r.status_code for r in responses] == [400, 400, 400]
    assert not WebhookEvent.objects.exists()


@pytest.mark.django_db
def test_a_declined_card_says_so_and_credits_nothing(requester, stripe_settings):
    with pytest.raises(FundingError, match="declined"):
        card_payment_start(
            user=requester,
            amount_cents=2_500,
            payment_method="pm_card_chargeCustomerFail",
            request_key="k3",
        )
    assert _available(requester) == 0


@pytest.mark.django_db(transaction=True)
def test_adding_funds_from_the_funds_page(client, requester, webhooks_to):
    client.force_login(requester)

    response = client.post(
        reverse("payments:funds"),
        {"amount": "40", "payment_method": "pm_card_visa", "request_key": "page-1"},
        follow=True,
    )

    assert "funds appear here as soon as Stripe confirms" in response.content.decode()
    assert _wait_for(lambda: _available(requester) == 4_000)
    assert "$40.00" in client.get(reverse("payments:funds")).content.decode()


@pytest.mark.django_db
def test_the_api_needs_an_idempotency_key_for_card_payments(api_client, requester, stripe_settings):
    api_client.force_authenticate(requester)
    body = {"amount_cents": 2_000, "payment_method": "pm_card_visa"}

    missing = api_client.post("/api/v1/funds/card-payments/", body, format="json")
    created = api_client.post(
        "/api/v1/funds/card-payments/", body, format="json", HTTP_IDEMPOTENCY_KEY="api-1"
    )

    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "idempotency_key_required"
    assert created.status_code == 202
    assert created.json()["status"] == "created"
