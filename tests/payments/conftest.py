import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from accounts.models import Role
from marketplace.models import Assignment, TemplateType
from marketplace.services.assignments import assignment_claim, assignment_submit
from marketplace.services.projects import project_create, tasks_add
from payments import ledger

LABELS = {"labels": [{"value": "cat"}, {"value": "dog"}]}
WEBHOOK_SECRET = "whsec_quorum_test"
SECRET_KEY = "sk_test_quorum"
LOCALSTRIPE = Path(__file__).with_name("localstripe_server.py")
CONNECT_FAKE = Path(__file__).with_name("fake_stripe_connect.py")
REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fee_of_twenty_percent(settings):
    settings.PLATFORM_FEE_BASIS_POINTS = 2000


@pytest.fixture
def draft(requester):
    """An unpublished job: 10 regular tasks, 3 answers each, 5 cents a answer, no gold."""

    def make(owner=requester, tasks=10, **fields):
        values = {
            "title": "Animals",
            "template_type": TemplateType.CLASSIFICATION,
            "label_config": LABELS,
            "reward_cents": 5,
            "overlap_min": 3,
            "overlap_max": 3,
            "gold_ratio": 0.0,
            **fields,
        }
        project = project_create(account=owner.requester_account, created_by=owner, **values)
        tasks_add(project=project, items=[{"data": {"text": f"item {n}"}} for n in range(tasks)])
        return project

    return make


@pytest.fixture
def answer(make_user):
    """A fresh worker claims and answers one task of the project; returns the assignment."""

    def make(project, worker=None):
        worker = worker or make_user(Role.WORKER)
        claimed = assignment_claim(worker=worker, project=project)
        assignment_submit(worker=worker, assignment_id=claimed.assignment_id, answer="cat")
        return Assignment.objects.select_related("project").get(pk=claimed.assignment_id)

    return make


def balance(account) -> int:
    account.refresh_from_db()
    return account.balance_cents


@pytest.fixture
def balances():
    """Current balances by name, for accounting-story assertions."""

    def read(*, requester_account=None, project=None, worker=None) -> dict[str, int]:
        figures = {"fees": ledger.platform_fees_balance_cents()}  # over all fee shards
        if requester_account is not None:
            figures["available"] = balance(ledger.requester_available_account(requester_account))
        if project is not None:
            figures["escrow"] = balance(ledger.project_escrow_account(project))
        if worker is not None:
            figures["worker"] = balance(ledger.worker_payable_account(worker))
        return figures

    return read


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(command: list[str], url: str, probe: str, name: str):
    """Start a loopback server process and wait until ``probe`` answers."""
    process = subprocess.Popen(
        command, cwd=REPOSITORY, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(150):
        try:
            requests.delete(f"{url}{probe}", timeout=1)
            return process
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    pytest.fail(f"{name} did not start")


@pytest.fixture(scope="session")
def localstripe_url():
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = _serve([sys.executable, str(LOCALSTRIPE), str(port)], url, "/_config/data", "ls")
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def stripe_settings(settings, localstripe_url):
    settings.STRIPE_API_BASE = localstripe_url
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    requests.delete(f"{localstripe_url}/_config/data", timeout=5)
    return settings


@pytest.fixture(scope="session")
def connect_fake_url():
    """``fake_stripe_connect.py`` (beside this file) on a free loopback port, for the session."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, str(CONNECT_FAKE), "--port", str(port)]
    process = _serve(command, url, "/_fake/data", "fake Stripe Connect")
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def connect_settings(settings, connect_fake_url):
    """Stripe Connect configured against the fake, emptied before the test."""
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_CONNECT_API_BASE = connect_fake_url
    settings.STRIPE_TIMEOUT_SECONDS = 1
    requests.delete(f"{connect_fake_url}/_fake/data", timeout=5)
    return settings


@pytest.fixture
def connect_fake(connect_settings, connect_fake_url):
    """Controls of the fake: inject failures, flip accounts, read every transfer."""

    class Controls:
        url = connect_fake_url

        def fail(self, **body):
            requests.post(f"{self.url}/_fake/failures", json=body, timeout=5).raise_for_status()

        def account(self, account_id, **flags):
            response = requests.post(
                f"{self.url}/_fake/accounts/{account_id}", json=flags, timeout=5
            )
            response.raise_for_status()
            return response.json()

        def transfers(self) -> list[dict]:
            return requests.get(f"{self.url}/_fake/transfers", timeout=5).json()["data"]

    yield Controls()
    requests.post(f"{connect_fake_url}/_fake/failures", json={}, timeout=5)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: long-running tests (the payout crash test); skip with -m 'not slow'"
    )
