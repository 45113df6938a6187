"""The loopback fake of Stripe Connect, driven through the real stripe SDK (payments.stripe_client):
what it promises is what the payout code relies on, so it is tested like a dependency."""

import time

import pytest
import requests

from payments import stripe_client

DAY = 86_400


def _connected(fake) -> str:
    account = stripe_client.connect_account_create(
        email="w@example.com", metadata={"worker_id": "1"}, idempotency_key="acct-1"
    )
    fake.account(account.id, payouts_enabled=True, details_submitted=True)
    return account.id


def _send(account_id: str, key: str, amount: int = 700) -> stripe_client.Transfer:
    return stripe_client.transfer_create(
        amount_cents=amount,
        destination=account_id,
        metadata={"payout_id": key},
        idempotency_key=key,
    )


def test_onboarding_through_an_account_link_enables_payouts(connect_fake):
    account = stripe_client.connect_account_create(
        email="w@example.com", metadata={"worker_id": "1"}, idempotency_key="acct-1"
    )
    assert (account.payouts_enabled, account.details_submitted) == (False, False)
    url = stripe_client.account_link_create(
        account_id=account.id, refresh_url="http://app/refresh", return_url="http://app/back"
    )

    finished = requests.get(url, allow_redirects=False, timeout=5)

    assert finished.status_code == 302
    assert finished.headers["Location"] == "http://app/back"
    assert stripe_client.connect_account_retrieve(account.id).payouts_enabled is True
    # The same creation key returns the same account instead of a second one.
    again = stripe_client.connect_account_create(
        email="w@example.com", metadata={"worker_id": "1"}, idempotency_key="acct-1"
    )
    assert again.id == account.id


def test_a_transfer_to_an_account_that_cannot_receive_is_refused_for_good(connect_fake):
    account = stripe_client.connect_account_create(
        email="w@example.com", metadata={}, idempotency_key="acct-2"
    )
    with pytest.raises(stripe_client.DefinitiveProviderError, match="capabilities"):
        _send(account.id, "payout-1")
    with pytest.raises(stripe_client.DefinitiveProviderError, match="No such account"):
        _send("acct_missing", "payout-2")
    assert connect_fake.transfers() == []


def test_the_same_idempotency_key_replays_and_other_parameters_are_refused(connect_fake):
    account_id = _connected(connect_fake)
    first = _send(account_id, "payout-7")
    replay = _send(account_id, "payout-7")

    with pytest.raises(stripe_client.DefinitiveProviderError, match="same parameters"):
        _send(account_id, "payout-7", amount=800)

    assert replay == first
    transfers = connect_fake.transfers()
    assert [(t["id"], t["idempotency_key"], t["amount"]) for t in transfers] == [
        (first.id, "payout-7", 700)
    ]


def test_requests_without_a_secret_key_get_a_stripe_shaped_401(connect_fake):
    response = requests.get(f"{connect_fake.url}/v1/transfers", timeout=5)
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert "Invalid API Key" in response.json()["error"]["message"]


@pytest.mark.parametrize("mode", ["500", "429"])
def test_injected_errors_are_transient_and_a_retry_with_the_key_sends_once(connect_fake, mode):
    account_id = _connected(connect_fake)
    connect_fake.fail(mode=mode, count=2)

    for _ in range(2):
        with pytest.raises(stripe_client.TransientProviderError):
            _send(account_id, "payout-9")
    sent = _send(account_id, "payout-9")

    assert [t["id"] for t in connect_fake.transfers()] == [sent.id]


def test_a_timeout_loses_the_response_but_not_the_transfer_and_the_retry_finds_it(connect_fake):
    account_id = _connected(connect_fake)
    connect_fake.fail(mode="timeout", count=1, delay=2)  # the client gives up after 1 s

    with pytest.raises(stripe_client.TransientProviderError):
        _send(account_id, "payout-11")
    assert len(connect_fake.transfers()) == 1  # the money moved although we heard nothing
    retried = _send(account_id, "payout-11")

    assert [t["id"] for t in connect_fake.transfers()] == [retried.id]


def test_transfers_are_listed_newest_first_across_pages(connect_fake):
    account_id = _connected(connect_fake)
    sent = [_send(account_id, f"payout-{n}", amount=500 + n) for n in range(5)]
    headers = {"Authorization": "Bearer sk_test_quorum"}

    page = requests.get(
        f"{connect_fake.url}/v1/transfers", params={"limit": 2}, headers=headers, timeout=5
    ).json()
    listed = stripe_client.transfers_list()

    assert [t["id"] for t in page["data"]] == [sent[4].id, sent[3].id]
    assert page["has_more"] is True
    assert [t.id for t in listed] == [t.id for t in reversed(sent)]


def _backdate(fake, transfer_id: str, created: int) -> None:
    response = requests.post(
        f"{fake.url}/_fake/transfers/{transfer_id}", json={"created": created}, timeout=5
    )
    response.raise_for_status()


def _list(fake, **params) -> requests.Response:
    return requests.get(
        f"{fake.url}/v1/transfers",
        params=params,
        headers={"Authorization": "Bearer sk_test_quorum"},
        timeout=5,
    )


def test_created_filters_hold_on_every_page_the_sdk_fetches(connect_fake):
    account_id = _connected(connect_fake)
    sent = [_send(account_id, f"payout-{n}", amount=500 + n) for n in range(7)]
    now = int(time.time())
    # Interleave old and recent ones, so a filter lost on page 2 would show.
    for n in (0, 2, 4):
        _backdate(connect_fake, sent[n].id, now - 40 * DAY - n)
    recent = [sent[n].id for n in (6, 5, 3, 1)]  # newest first
    old = [sent[n].id for n in (0, 2, 4)]

    listed = stripe_client.transfers_list(created_gte=now - 35 * DAY, page_size=2)
    first_page = _list(connect_fake, limit=2, **{"created[gte]": now - 35 * DAY}).json()
    second_page = _list(
        connect_fake,
        limit=2,
        starting_after=first_page["data"][-1]["id"],
        **{"created[gte]": now - 35 * DAY},
    ).json()

    assert [t.id for t in listed] == recent
    assert ([t["id"] for t in first_page["data"]], first_page["has_more"]) == (recent[:2], True)
    assert ([t["id"] for t in second_page["data"]], second_page["has_more"]) == (recent[2:], False)
    # Everything, and only the old ones, newest first by ``created``.
    assert [t.id for t in stripe_client.transfers_list(page_size=3)] == [*recent, *old]
    before = _list(connect_fake, **{"created[lt]": now - 35 * DAY}).json()["data"]
    assert [t["id"] for t in before] == old
    exact = _list(connect_fake, created=now - 40 * DAY - 2).json()["data"]
    assert [t["id"] for t in exact] == [sent[2].id]


def test_created_and_destination_filters_combine(connect_fake):
    first = _connected(connect_fake)
    second = stripe_client.connect_account_create(
        email="v@example.com", metadata={}, idempotency_key="acct-other"
    ).id
    connect_fake.account(second, payouts_enabled=True)
    mine = _send(first, "payout-a")
    theirs = _send(second, "payout-b")
    old_mine = _send(first, "payout-c")
    _backdate(connect_fake, old_mine.id, int(time.time()) - 50 * DAY)

    listed = stripe_client.transfers_list(
        created_gte=int(time.time()) - 35 * DAY, destination=first
    )

    assert [t.id for t in listed] == [mine.id]
    assert theirs.id not in [t.id for t in stripe_client.transfers_list(destination=first)]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"created[gte]": "yesterday"}, "Invalid integer"),
        ({"created[after]": "1"}, "unknown parameter: created[after]"),
        ({"starting_after": "tr_missing"}, "No such transfer"),
    ],
)
def test_bad_list_parameters_get_stripe_shaped_errors(connect_fake, params, message):
    response = _list(connect_fake, **params)
    assert response.status_code in (400, 404)
    assert message in response.json()["error"]["message"]
