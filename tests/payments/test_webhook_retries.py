"""Stripe events that keep failing: every failed attempt is counted and pushes the next one
further away, the last allowed attempt marks the event failed for good, and the retry job takes
due events soonest first, so a pile of such events cannot keep a newer one waiting. Staff see the
events that failed for good on the reconciliation page, in the API and in the admin."""

import itertools
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from payments.models import WebhookEvent
from payments.services.webhook_events import (
    FIRST_RETRY_DELAY,
    MAX_ATTEMPTS,
    MAX_RETRY_DELAY,
    RETRY_BATCH,
    retry_delay,
    webhook_event_process,
    webhook_event_store,
    webhook_events_retry,
)


def poison(event_id: str) -> dict:
    """A refund event naming a refund row that does not exist: its handler always fails."""
    return {
        "id": event_id,
        "type": "refund.updated",
        "data": {"object": {"id": "re_x", "metadata": {"quorum_refund_id": "999999"}}},
    }


def harmless(event_id: str) -> dict:
    """An event type nothing handles: processing it only marks it processed."""
    return {"id": event_id, "type": "customer.created", "data": {"object": {"id": "cus_x"}}}


def test_the_delay_doubles_from_the_first_and_stops_growing_at_the_cap():
    delays = [retry_delay(attempts) for attempts in range(1, 12)]
    assert delays[0] == FIRST_RETRY_DELAY
    assert delays[1] == 2 * FIRST_RETRY_DELAY
    assert all(later >= earlier for earlier, later in itertools.pairwise(delays))
    assert max(delays) == MAX_RETRY_DELAY == delays[-1]


@pytest.mark.django_db
def test_a_poison_event_counts_every_failure_backs_off_and_stops_at_the_cap():
    stored = webhook_event_store(event=poison("evt_poison"))
    assert (stored.attempts, stored.status) == (0, "pending")

    delays = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        due = stored.next_attempt_at
        assert webhook_events_retry(now=due - timedelta(seconds=1)) == 0  # not due yet
        assert WebhookEvent.objects.get(pk=stored.pk).attempts == attempt - 1
        before = timezone.now()
        assert webhook_events_retry(now=due) == 0  # due: tried, and failed again
        stored.refresh_from_db()
        assert stored.attempts == attempt
        assert "CardRefund" in stored.last_error
        if attempt < MAX_ATTEMPTS:
            assert stored.status == "pending"
            delays.append(stored.next_attempt_at - before)
            assert retry_delay(attempt) <= delays[-1] < retry_delay(attempt) + timedelta(seconds=30)

    assert all(later > earlier for earlier, later in itertools.pairwise(delays))
    assert stored.status == "failed"
    assert stored.failed_at is not None
    assert stored.processed_at is None

    # Nothing tries it again: not the job, however late, nor a repeat delivery.
    assert webhook_events_retry(now=timezone.now() + timedelta(days=30)) == 0
    assert webhook_event_process(event_id="evt_poison") is False
    stored.refresh_from_db()
    assert stored.attempts == MAX_ATTEMPTS


@pytest.mark.django_db
def test_a_success_after_failures_clears_the_error_and_counts_the_attempt():
    stored = webhook_event_store(event=harmless("evt_late"))
    WebhookEvent.objects.filter(pk=stored.pk).update(attempts=3, last_error="Stripe timed out")

    assert webhook_events_retry() == 1
    stored.refresh_from_db()
    assert (stored.attempts, stored.last_error, stored.status) == (4, "", "processed")


@pytest.mark.django_db
def test_many_poison_events_do_not_keep_a_newer_good_event_waiting():
    an_hour_ago = timezone.now() - timedelta(hours=1)
    piled = RETRY_BATCH + 50
    WebhookEvent.objects.bulk_create(
        WebhookEvent(
            event_id=f"evt_poison_{number}",
            type="refund.updated",
            payload=poison(f"evt_poison_{number}"),
            received_at=an_hour_ago,
            next_attempt_at=an_hour_ago,
        )
        for number in range(piled)
    )

    failed_once = WebhookEvent.objects.filter(type="refund.updated", attempts=1)

    assert webhook_events_retry() == 0  # one batch: the oldest poison events fail
    assert failed_once.count() == RETRY_BATCH

    good = webhook_event_store(event=harmless("evt_good"))  # arrives after them
    assert webhook_events_retry() == 1  # the rest of the pile, and the good one
    good.refresh_from_db()
    assert good.status == "processed"
    assert failed_once.count() == piled

    # The failed ones wait their delay: a newer event is taken at once, not behind them.
    newer = webhook_event_store(event=harmless("evt_newer"))
    assert webhook_events_retry() == 1
    newer.refresh_from_db()
    assert newer.status == "processed"
    assert WebhookEvent.objects.filter(attempts=2).count() == 0


@pytest.fixture
def failed_event():
    stored = webhook_event_store(event=poison("evt_failed_for_good"))
    WebhookEvent.objects.filter(pk=stored.pk).update(
        attempts=MAX_ATTEMPTS,
        failed_at=timezone.now(),
        last_error="CardRefund matching query does not exist.",
    )
    return stored


@pytest.mark.django_db
def test_staff_see_events_that_failed_for_good_on_the_page_and_through_the_api(
    client, api_client, staff_user, failed_event
):
    pending = webhook_event_store(event=poison("evt_still_pending"))
    client.force_login(staff_user)
    api_client.force_authenticate(staff_user)

    page = client.get(reverse("payments:reconciliation")).content.decode()
    failed = api_client.get("/api/v1/staff/webhook-events/", {"status": "failed"}).json()
    by_default = api_client.get("/api/v1/staff/webhook-events/").json()
    pending_list = api_client.get("/api/v1/staff/webhook-events/", {"status": "pending"}).json()
    wrong = api_client.get("/api/v1/staff/webhook-events/", {"status": "lost"})

    assert "evt_failed_for_good" in page
    assert "evt_still_pending" not in page
    assert "CardRefund matching query does not exist." in page
    assert [row["event_id"] for row in failed["results"]] == ["evt_failed_for_good"]
    row = failed["results"][0]
    assert (row["status"], row["attempts"], row["type"]) == (
        "failed",
        MAX_ATTEMPTS,
        "refund.updated",
    )
    assert row["last_error"] == "CardRefund matching query does not exist."
    assert by_default == failed
    assert [row["event_id"] for row in pending_list["results"]] == [pending.event_id]
    assert wrong.status_code == 400


@pytest.mark.django_db
def test_the_page_says_so_when_no_event_failed(client, staff_user):
    client.force_login(staff_user)
    page = client.get(reverse("payments:reconciliation")).content.decode()
    assert "No Stripe event has failed for good." in page


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.WORKER, Role.REQUESTER])
def test_workers_and_requesters_cannot_see_stripe_events(
    client, api_client, make_user, failed_event, role
):
    user = make_user(role)
    client.force_login(user)
    api_client.force_authenticate(user)

    assert api_client.get("/api/v1/staff/webhook-events/").status_code == 403
    assert client.get(reverse("payments:reconciliation")).status_code == 403


@pytest.mark.django_db
def test_the_admin_filters_events_that_failed_for_good(client, staff_user, failed_event):
    webhook_event_store(event=harmless("evt_other"))
    client.force_login(staff_user)

    listing = client.get(
        reverse("admin:payments_webhookevent_changelist"), {"status": "failed"}
    ).content.decode()

    assert "evt_failed_for_good" in listing
    assert "evt_other" not in listing


def test_the_staff_list_is_in_the_openapi_schema(client):
    schema = client.get(reverse("api_schema"), {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/staff/webhook-events/"]["get"]
    assert operation["operationId"] == "v1_staff_webhook_events_list"
    status = next(p for p in operation["parameters"] if p["name"] == "status")
    assert status["schema"]["enum"] == ["failed", "pending", "processed"]
