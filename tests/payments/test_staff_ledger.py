"""The staff ledger page and API: balances per kind, the re-count, the journal."""

import pytest
from django.db import connection
from django.urls import reverse

from accounts.models import Role
from marketplace.services.projects import project_publish
from marketplace.services.reviews import assignment_approve
from payments import ledger
from payments.models import AccountKind, LedgerTransaction, TransactionKind
from payments.selectors import ledger as selectors_ledger
from payments.services.funds import funds_deposit

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(requester, draft, answer, staff_user):
    """$100 deposited, a job of 10 x 3 answers at 5 cents published, two answers approved."""
    funds_deposit(
        requester_account=requester.requester_account, amount_cents=10_000, reference="BANK-1"
    )
    project = draft()
    project_publish(project=project)
    for _ in range(2):
        assignment_approve(assignment_id=answer(project).pk)
    return project


def _totals(payload) -> dict[str, int]:
    return {row["kind"]: row["balance_cents"] for row in payload["totals"]}


def test_balances_per_kind_add_up_to_zero_and_match_the_accounts(api_client, staff_user, story):
    api_client.force_authenticate(staff_user)
    payload = api_client.get(reverse("api:staff_ledger"), {"check": 1}).json()
    totals = _totals(payload)
    assert sum(totals.values()) == 0
    assert totals[AccountKind.EXTERNAL_BANK] == -10_000
    assert totals[AccountKind.WORKER_PAYABLE] == 2 * 5
    assert totals[AccountKind.PLATFORM_FEES] == ledger.platform_fees_balance_cents() == 2
    assert payload["checks"] == {
        "balances_sum_cents": 0,
        "unbalanced_transactions": 0,
        "balance_drift_accounts": 0,
    }
    assert api_client.get(reverse("api:staff_ledger")).json()["checks"] is None  # on demand


def test_the_recount_finds_a_cached_balance_that_no_longer_matches_its_entries(
    api_client, staff_user, story
):
    account = ledger.platform_fees_account()
    with connection.cursor() as cursor:  # what no service does: edit a cached balance by hand
        cursor.execute(
            "UPDATE payments_ledgeraccount SET balance_cents = balance_cents + 1 WHERE id = %s",
            [account.pk],
        )
    api_client.force_authenticate(staff_user)
    checks = api_client.get(reverse("api:staff_ledger"), {"check": 1}).json()["checks"]
    assert checks == {
        "balances_sum_cents": 1,
        "unbalanced_transactions": 0,
        "balance_drift_accounts": 1,
    }


def test_the_journal_pages_newest_first_without_gaps_or_repeats(
    api_client, staff_user, story, monkeypatch
):
    monkeypatch.setattr(selectors_ledger, "JOURNAL_PAGE_SIZE", 2)
    api_client.force_authenticate(staff_user)
    seen, before = [], None
    while True:
        params = {"before": before} if before else {}
        page = api_client.get(reverse("api:staff_ledger_transactions"), params).json()
        seen += [row["id"] for row in page["results"]]
        for row in page["results"]:
            assert sum(entry["amount_cents"] for entry in row["entries"]) == 0
        before = page["next_before"]
        if before is None:
            break
    assert seen == list(LedgerTransaction.objects.order_by("-id").values_list("id", flat=True))
    assert len(seen) > 2


def test_the_journal_filters_by_kind_and_by_account(api_client, staff_user, story, requester):
    api_client.force_authenticate(staff_user)
    url = reverse("api:staff_ledger_transactions")
    deposits = api_client.get(url, {"kind": TransactionKind.DEPOSIT}).json()["results"]
    assert [row["memo"] for row in deposits] == ["Bank transfer BANK-1"]
    code = ledger.requester_available_account(requester.requester_account).code
    on_account = api_client.get(url, {"account": code}).json()["results"]
    assert on_account and all(
        any(entry["account"] == code for entry in row["entries"]) for row in on_account
    )
    refused = api_client.get(url, {"kind": "teleport"})
    assert refused.status_code == 400 and "kind" in refused.json()["error"]["fields"]


def test_the_page_shows_balances_journal_and_recount(client, staff_user, story):
    client.force_login(staff_user)
    page = client.get(reverse("payments:ledger"), {"check": 1}).content.decode()
    assert 'data-testid="ledger-totals"' in page and "Platform fees" in page
    assert "unbalanced transactions: 0" in page
    assert "Bank transfer BANK-1" in page


@pytest.mark.parametrize("role", [Role.REQUESTER, Role.WORKER])
def test_only_staff_read_the_ledger(client, api_client, make_user, role):
    user = make_user(role)
    client.force_login(user)
    api_client.force_authenticate(user)
    assert client.get(reverse("payments:ledger")).status_code == 403
    assert api_client.get(reverse("api:staff_ledger")).status_code == 403
    assert api_client.get(reverse("api:staff_ledger_transactions")).status_code == 403
