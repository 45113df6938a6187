"""Allocation under load: claim + submit over HTTP against gunicorn and PostgreSQL.

    .venv/bin/python bench/allocation.py [--workers 200] [--tasks 10000] [--seconds 20]

Creates (drops and re-creates) the database ``quorum_bench`` on 127.0.0.1, migrates it, seeds a
project of ``--tasks`` tasks x overlap 3 with 10 % gold and ``--workers`` workers with API
tokens, starts ``gunicorn`` (gthread) on 127.0.0.1 and drives it with a light load generator
(asyncio streams speaking raw HTTP/1.1 with keep-alive; an httpx client saturates its own core).

1. Capacity: ``--workers`` workers loop claim -> submit with no pause for ``--seconds``.
2. Latency at a realistic load: cycles start on a fixed schedule at ``--rate`` per second (open
   loop, as many simulated workers as needed) for ``--seconds``; claim latency counts from the
   scheduled start (so a late generator shows up as latency), submit from its send.
Then the database is checked: tasks over their overlap, duplicate (task, worker) pairs, and
answers the client was told were saved but are missing or different.

Reference (issue 4, this 2-core machine, load generator included): capacity >= 200 cycles/s;
at 100 cycles/s claim p99 and submit p99 <= 150 ms; all three counters 0. A peer Django MTurk
clone served about 2 cycles/s here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "quorum_bench"
BASE_URL = "postgres://postgres@127.0.0.1:5432"
ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.test",
    "DATABASE_URL": f"{BASE_URL}/{DATABASE}",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    # Background jobs a submit triggers (quality rules, aggregation) are queued to Redis for
    # Celery workers, as in production, instead of running inside the measured web requests;
    # nobody consumes this queue during the run and it is flushed before and after.
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/15",
    "CELERY_TASK_ALWAYS_EAGER": "false",
    "LOG_LEVEL": "WARNING",
}
os.environ.update(ENV)
sys.path.insert(0, str(ROOT))
LABELS = ["cat", "dog"]


def recreate_database() -> None:
    import psycopg

    with psycopg.connect(f"{BASE_URL}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--skip-checks", "-v", "0"],
        cwd=ROOT,
        check=True,
        env={**os.environ, **ENV},
    )


def seed(*, tasks: int, workers: int):
    """The project and the workers' tokens. Bulk inserts: seeding is not what we measure."""
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from accounts.models import RequesterAccount, Role, User
    from marketplace.models import Project, ProjectStatus, TemplateType
    from marketplace.task_types import task_type

    cache.clear()
    account = RequesterAccount.objects.create(name="Bench Org")
    project = Project.objects.create(
        account=account,
        title="Bench: cats and dogs",
        template_type=TemplateType.CLASSIFICATION,
        label_config=task_type("classification").clean_config({"labels": LABELS}),
        reward_cents=5,
        overlap_min=3,
        overlap_max=3,
        gold_ratio=0.1,
        status=ProjectStatus.ACTIVE,
    )
    gold = tasks // 10
    # Raw SQL: one statement, and independent of Django-side defaults of columns added later.
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO marketplace_task (project_id, external_id, data, is_gold, gold_answer,
                gold_explanation, overlap, slots_taken, answers_count, status,
                aggregation_method, created_at)
            SELECT %s, '', jsonb_build_object('text', 'Item ' || i || ': a cat or a dog?'),
                i %% 10 = 0, CASE WHEN i %% 10 = 0 THEN '"cat"'::jsonb END, '', 3, 0, 0, 'open',
                '', now()
            FROM generate_series(0, %s - 1) AS i""",
            [project.pk, tasks],
        )
    Project.objects.filter(pk=project.pk).update(tasks_count=tasks, gold_tasks_count=gold)
    users = User.objects.bulk_create(
        [User(email=f"bench{i}@example.com", role=Role.WORKER) for i in range(workers)]
    )
    tokens = Token.objects.bulk_create(
        [Token(user=user, key=Token.generate_key()) for user in users]
    )
    return project.pk, [token.key for token in tokens]


def start_server(port: int, processes: int, threads: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={processes}",
            f"--threads={threads}",
            "--worker-class=gthread",
            "--keep-alive=75",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env={**os.environ, **ENV},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            asyncio.run(_probe(port))
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


async def _probe(port: int) -> None:
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.close()


class Client:
    """One keep-alive HTTP/1.1 connection speaking just enough of the protocol."""

    def __init__(self, port: int, token: str):
        self.port, self.token = port, token
        self.reader = self.writer = None

    async def post(self, path: str, body: dict, headers: str = "") -> tuple[int, bytes]:
        payload = json.dumps(body).encode()
        request = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token {self.token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n{headers}\r\n"
        ).encode() + payload
        for attempt in range(2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            try:
                self.writer.write(request)
                return await self._response()
            except (ConnectionError, asyncio.IncompleteReadError):
                self.writer = None  # the server closed an idle connection: reconnect once
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _response(self) -> tuple[int, bytes]:
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length, close = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        body = await self.reader.readexactly(length) if length else b""
        if close:
            self.writer.close()
            self.writer = None
        return status, body


class Stats:
    def __init__(self):
        self.claim_ms: list[float] = []
        self.submit_ms: list[float] = []
        self.cycles = 0
        self.empty = 0
        self.errors: dict[int, int] = {}
        self.saved: list[tuple[int, int, str]] = []  # (assignment, worker token index, answer)


async def cycle(client: Client, index: int, project: int, stats: Stats, started: float) -> None:
    status, body = await client.post("/api/v1/assignments/claim/", {"project": project})
    claimed = time.perf_counter()
    stats.claim_ms.append((claimed - started) * 1000)
    if status == 204:
        stats.empty += 1
        return
    if status != 200:
        stats.errors[status] = stats.errors.get(status, 0) + 1
        return
    assignment = json.loads(body)["assignment"]
    answer = random.choice(LABELS)
    status, body = await client.post(
        f"/api/v1/assignments/{assignment}/submit/",
        {"answer": answer},
        headers=f"Idempotency-Key: bench-{assignment}\r\n",
    )
    stats.submit_ms.append((time.perf_counter() - claimed) * 1000)
    if status == 200 and json.loads(body)["status"] == "submitted":
        stats.saved.append((assignment, index, answer))
        stats.cycles += 1
    else:
        stats.errors[status] = stats.errors.get(status, 0) + 1


async def capacity(port, tokens, project, seconds) -> tuple[Stats, float]:
    stats = Stats()
    clients = [Client(port, token) for token in tokens]
    stop = time.perf_counter() + seconds

    async def loop(index):
        while time.perf_counter() < stop:
            await cycle(clients[index], index, project, stats, time.perf_counter())

    start = time.perf_counter()
    await asyncio.gather(*(loop(i) for i in range(len(clients))))
    return stats, time.perf_counter() - start


async def paced(port, tokens, project, seconds, rate) -> tuple[Stats, float]:
    """Open loop: cycle i starts at start + i / rate on whichever worker is free."""
    stats = Stats()
    idle: asyncio.Queue = asyncio.Queue()
    for index, token in enumerate(tokens):
        idle.put_nowait((index, Client(port, token)))
    start = time.perf_counter()
    pending = []

    async def one(due):
        index, client = await idle.get()
        try:
            await cycle(client, index, project, stats, due)
        finally:
            idle.put_nowait((index, client))

    for i in range(int(seconds * rate)):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        pending.append(asyncio.create_task(one(due)))
    await asyncio.gather(*pending)
    return stats, time.perf_counter() - start


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def check_database(saved: list[tuple[int, int, str]]) -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM marketplace_task t
            WHERE NOT t.is_gold AND (t.slots_taken > t.overlap OR t.overlap < (
                SELECT count(*) FROM marketplace_assignment a
                WHERE a.task_id = t.id AND a.status IN ('live', 'submitted')))"""
        )
        over = cursor.fetchone()[0]
        cursor.execute(
            """SELECT count(*) FROM (SELECT 1 FROM marketplace_assignment
            GROUP BY task_id, worker_id HAVING count(*) > 1) d"""
        )
        duplicates = cursor.fetchone()[0]
        cursor.execute("SELECT id, answer FROM marketplace_assignment WHERE status = 'submitted'")
        stored = {row[0]: json.loads(row[1]) for row in cursor.fetchall()}
        cursor.execute(
            """SELECT count(*) FROM marketplace_task t WHERE NOT t.is_gold AND (
                t.slots_taken <> (SELECT count(*) FROM marketplace_assignment a
                    WHERE a.task_id = t.id AND a.status IN ('live', 'submitted'))
                OR t.answers_count <> (SELECT count(*) FROM marketplace_assignment a
                    WHERE a.task_id = t.id AND a.status = 'submitted'))"""
        )
        drift = cursor.fetchone()[0]
    lost = sum(1 for assignment, _, answer in saved if stored.get(assignment) != answer)
    return {
        "over_assigned": over,
        "duplicate_pairs": duplicates,
        "lost_answers": lost,
        "counter_drift": drift,
    }


def report(name: str, stats: Stats, elapsed: float) -> None:
    print(
        f"{name}: {stats.cycles} cycles in {elapsed:.1f} s = {stats.cycles / elapsed:.1f}/s; "
        f"claim p50 {percentile(stats.claim_ms, 0.5):.1f} ms p99 "
        f"{percentile(stats.claim_ms, 0.99):.1f} ms; submit p50 "
        f"{percentile(stats.submit_ms, 0.5):.1f} ms p99 {percentile(stats.submit_ms, 0.99):.1f} "
        f"ms; nothing to do {stats.empty}; errors {stats.errors or 0}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=200)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=20.0, help="per phase")
    parser.add_argument("--rate", type=float, default=100.0, help="paced cycles per second")
    parser.add_argument("--processes", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    import redis

    queue = redis.Redis.from_url(ENV["CELERY_BROKER_URL"])
    queue.flushdb()
    recreate_database()
    project, tokens = seed(tasks=args.tasks, workers=args.workers)
    print(
        f"seeded: {args.tasks} tasks x overlap 3 (10% gold), {args.workers} workers; gunicorn "
        f"{args.processes} x {args.threads} threads on 127.0.0.1:{args.port}, db {DATABASE}"
    )
    server = start_server(args.port, args.processes, args.threads)
    try:
        # Warm-up: every worker's token into the cache, every connection open.
        asyncio.run(capacity(args.port, tokens, project, 1.0))
        cap, cap_elapsed = asyncio.run(capacity(args.port, tokens, project, args.seconds))
        report("capacity", cap, cap_elapsed)
        pace, pace_elapsed = asyncio.run(paced(args.port, tokens, project, args.seconds, args.rate))
        report(f"paced at {args.rate:g}/s", pace, pace_elapsed)
    finally:
        server.terminate()
        server.wait(10)
        queued = queue.llen("quorum")
        queue.flushdb()
    print(f"background jobs queued for Celery workers (not run during the measurement): {queued}")
    checks = check_database(cap.saved + pace.saved)
    print(f"database: {checks}")
    print(
        "reference: capacity >= 200 cycles/s; at 100 cycles/s claim p99 and submit p99 "
        "<= 150 ms; counters 0 (peer Django MTurk clone: ~2 cycles/s)"
    )
    capacity_cps = cap.cycles / cap_elapsed
    claim_p99, submit_p99 = percentile(pace.claim_ms, 0.99), percentile(pace.submit_ms, 0.99)
    print(
        f"ratios (>= 1 meets): capacity {capacity_cps:.0f}/200 = {capacity_cps / 200:.2f}; "
        f"claim p99 150/{claim_p99:.1f} = {150 / claim_p99:.2f}; "
        f"submit p99 150/{submit_p99:.1f} = {150 / submit_p99:.2f}; "
        f"vs the peer's ~2 cycles/s: {capacity_cps / 2:.0f}x"
    )
    print(
        f"allocation: workers={args.workers} cycles_per_s={cap.cycles / cap_elapsed:.0f} "
        f"paced_cps={args.rate:g} claim_p50_ms={percentile(pace.claim_ms, 0.5):.1f} "
        f"claim_p99_ms={percentile(pace.claim_ms, 0.99):.1f} "
        f"submit_p99_ms={percentile(pace.submit_ms, 0.99):.1f} "
        f"over_assigned={checks['over_assigned']} duplicate_pairs={checks['duplicate_pairs']} "
        f"lost_answers={checks['lost_answers']}"
    )


if __name__ == "__main__":
    main()
