"""The crash test: 200 approved Stripe payouts processed by a real ``celery worker`` process that
is SIGKILLed at random moments and restarted, then the sweeper recovers what the kills lost.
Afterwards the fake Stripe holds exactly one transfer per payout, every payout is paid once, and
the ledger balances. A second run adds 20 % injected provider failures (500, 429, timeouts).

Runs in the normal suite (about half a minute per variant); skip with ``-m "not slow"``. The
random seed is printed so a failing run can be replayed.
"""

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
import redis
from django.conf import settings
from django.db import connection

from accounts.models import Role
from config.celery import app
from payments import ledger, stripe_client
from payments.models import (
    LedgerTransaction,
    Payout,
    PayoutAccount,
    PayoutStatus,
    TransactionKind,
)
from payments.services.payouts import payout_request, payouts_approve_many
from payments.services.transfers import payouts_sweep

PAYOUTS = 200
WORKERS = 20
KILLS = 3
DEADLINE_SECONDS = 60


def _fund(worker, cents):
    ledger.transfer(
        source=ledger.external_bank_account(),
        destination=ledger.worker_payable_account(worker),
        amount_cents=cents,
        kind=TransactionKind.BONUS,
        memo="earnings for the crash test",
    )


@pytest.fixture
def broker():
    """An empty queue (our own Redis database), and eager mode off so approvals really queue."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.flushdb()
    app.conf.task_always_eager = False
    yield client
    app.conf.task_always_eager = True
    client.flushdb()


class CeleryWorker:
    """``celery worker`` as its own process group against the test database and broker."""

    def __init__(self, fake_url: str, log_path):
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "STRIPE_SECRET_KEY": "sk_test_quorum",
            "STRIPE_CONNECT_API_BASE": fake_url,
            "STRIPE_TIMEOUT_SECONDS": "1",
            "PAYOUT_RETRY_BACKOFF_SECONDS": "1",
        }
        self.log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = None

    def start(self):
        # Four threads, so a transfer stuck in a timeout does not stall the others.
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "threads",
                   "-c", "4", "-Q", "quorum", "--without-gossip", "--without-mingle",
                   "--without-heartbeat", "-l", "WARNING"]  # fmt: skip
        self.process = subprocess.Popen(
            command, env=self.env, stdout=self.log, stderr=self.log, start_new_session=True
        )

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.kill()
        self.log.close()


def _paid() -> int:
    return Payout.objects.filter(status=PayoutStatus.PAID).count()


def _approved_payouts(make_user, staff_user, fake) -> list[Payout]:
    payouts = []
    for number in range(WORKERS):
        worker = make_user(Role.WORKER)
        amounts = [500 + number * 10 + k for k in range(PAYOUTS // WORKERS)]
        _fund(worker, sum(amounts))
        account = stripe_client.connect_account_create(
            email=worker.email, metadata={}, idempotency_key=f"crash-{worker.pk}"
        )
        fake.account(account.id, payouts_enabled=True)
        PayoutAccount.objects.create(
            worker=worker, provider_account_id=account.id, payouts_enabled=True
        )
        payouts += [payout_request(worker=worker, amount_cents=cents) for cents in amounts]
    assert payouts_approve_many(payout_ids=[p.pk for p in payouts], staff=staff_user) == {
        "approved": PAYOUTS,
        "refused": 0,
    }
    return payouts


def _wait(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _run_with_kills(worker: CeleryWorker, seed: int) -> list[int]:
    """Start, let it pay a random number of payouts plus a random fraction of a second (so the
    kill lands anywhere in a task: before, during or after the call to Stripe), SIGKILL,
    restart ... then run until all are paid, sweeping like the beat job does. Returns the paid
    counts seen at each kill."""
    chaos = random.Random(seed)
    paid_at_kills = []
    for _ in range(KILLS):
        before = _paid()
        worker.start()
        target = before + chaos.randint(5, 25)
        _wait(lambda target=target: _paid() >= target, 20)
        time.sleep(chaos.uniform(0, 0.1))
        worker.kill()
        paid_at_kills.append(_paid())
    worker.start()
    deadline = time.monotonic() + DEADLINE_SECONDS
    while _paid() < PAYOUTS and time.monotonic() < deadline:
        # Messages held by a killed worker stay unacknowledged in Redis for hours: the sweeper
        # is what brings those payouts back.
        payouts_sweep(stale_after_seconds=3)
        _wait(lambda: _paid() >= PAYOUTS, 3)
    worker.stop()
    return paid_at_kills


def _assert_exactly_once_and_balanced(payouts, fake):
    payouts = {p.pk: p for p in Payout.objects.filter(pk__in=[p.pk for p in payouts])}
    assert Counter(p.status for p in payouts.values()) == {PayoutStatus.PAID: PAYOUTS}

    transfers = fake.transfers()
    by_payout = Counter(t["metadata"]["payout_id"] for t in transfers)
    assert len(transfers) == PAYOUTS
    assert set(by_payout) == {str(pk) for pk in payouts} and set(by_payout.values()) == {1}
    assert {t["idempotency_key"] for t in transfers} == {
        p.idempotency_key for p in payouts.values()
    }
    for transfer in transfers:
        payout = payouts[int(transfer["metadata"]["payout_id"])]
        assert (payout.reference, payout.amount_cents) == (transfer["id"], transfer["amount"])

    assert LedgerTransaction.objects.filter(kind=TransactionKind.PAYOUT_PAID).count() == PAYOUTS
    assert ledger.payouts_in_flight_account().balance_cents == 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT transaction_id FROM payments_ledgerentry "
            "GROUP BY transaction_id HAVING sum(amount_cents) <> 0 OR count(*) < 2) AS bad"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute(
            "SELECT count(*) FROM payments_ledgeraccount AS account WHERE balance_cents <> "
            "(SELECT coalesce(sum(amount_cents), 0) FROM payments_ledgerentry "
            "WHERE account_id = account.id)"
        )
        assert cursor.fetchone()[0] == 0
    for worker_id in {p.worker_id for p in payouts.values()}:
        assert ledger.worker_payable_account(worker_id).balance_cents == 0


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("failure_rate", [0.0, 0.2], ids=["kills", "kills+20%-failures"])
def test_killed_workers_transfer_every_payout_exactly_once(
    failure_rate, make_user, staff_user, connect_fake, broker, tmp_path
):
    seed = random.SystemRandom().randrange(1_000_000)
    print(f"crash test seed {seed}, failure rate {failure_rate}")
    payouts = _approved_payouts(make_user, staff_user, connect_fake)
    assert broker.llen("quorum") >= PAYOUTS  # queued on commit (with signup emails), none sent
    if failure_rate:
        connect_fake.fail(rate=failure_rate, modes=["500", "429", "timeout"], delay=1.5, seed=seed)
    worker = CeleryWorker(connect_fake.url, tmp_path / "celery.log")
    try:
        paid_at_kills = _run_with_kills(worker, seed)
    finally:
        worker.stop()
    connect_fake.fail()  # stop injecting before reading the fake's books
    print(
        f"paid when killed: {paid_at_kills}; attempts: "
        f"{sorted(Counter(Payout.objects.values_list('transfer_attempts', flat=True)).items())}"
    )

    assert any(0 < paid < PAYOUTS for paid in paid_at_kills), "no kill landed mid-batch"
    _assert_exactly_once_and_balanced(payouts, connect_fake)
