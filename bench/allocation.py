"""Allocation under load: claim + submit over HTTP against gunicorn and PostgreSQL, next to the
same SQL sent bare over psycopg as a reference that moves with the machine.

    python bench/allocation.py [--workers 200] [--tasks 10000] [--seconds 20]

Run it with the interpreter of the project's environment: gunicorn and the reference's client
processes start from that interpreter's environment (``sys.executable``), wherever it lives.

Creates (drops and re-creates) the database ``--database`` (``quorum_bench``) on 127.0.0.1,
migrates it, seeds a project of ``--tasks`` tasks x overlap 3 with 10 % gold and ``--workers``
workers with API tokens, starts ``gunicorn`` (gthread) on 127.0.0.1 and drives it with a light
load generator (asyncio streams speaking raw HTTP/1.1 with keep-alive; an httpx client saturates
its own core).

1. Capacity: ``--workers`` workers loop claim -> submit with no pause for ``--seconds``.
2. Reference: the claim and submit SQL alone, no HTTP and no Django, for as long, on a project of
   its own (``--reference-tasks`` tasks, the same overlap and gold share, its own ``--workers``
   workers, so no counter of the measured project moves). The statements are not written here:
   a setup step runs the product's ``assignment_claim`` and ``assignment_submit`` for a capture
   worker under ``connection.execute_wrapper`` and records what they send (the claim: one
   autocommit statement with ``FOR UPDATE SKIP LOCKED``, preceded on a gold draw by the gold
   variant, once from a random pivot and once from the start; the live submit: a read, then one
   write). The measured loop replays those statements with psycopg 3 (``ClientCursor``, as
   Django's backend binds) in autocommit, with the same parameters the services build; the gold
   draw and the attempt order are mirrored by hand. The concurrency is the HTTP phase's at the
   database: ``--processes`` processes x ``--threads`` threads, one connection each (gunicorn
   holds that many), each thread cycling through its share of the workers so that a worker
   never has two cycles at once, as over HTTP. What the reference leaves out (HTTP, DRF, token
   and eligibility cache reads, answer validation, the queued quality check) is what the
   ratio prices. With ``--rounds N`` the two phases alternate N times (``--seconds`` / N each),
   so both see the machine in the same state when other load comes and goes.
3. Latency at a realistic load: cycles start on a fixed schedule at ``--rate`` per second (open
   loop, as many simulated workers as needed) for ``--seconds``; claim latency counts from the
   scheduled start (so a late generator shows up as latency), submit from its send.
Then the database is checked: tasks over their overlap, duplicate (task, worker) pairs and
counters that disagree with the assignments (both projects), and answers the HTTP client was
told were saved but are missing or different. CPU steal (the share of
CPU time the host gave to other guests, from /proc/stat) is printed for the capacity and
reference phases and for the whole run: a machine with steal runs both figures slower, so
compare the ratio across machines, the absolute figures only on a quiet one.

Reference (issue 4, this 2-core machine, load generator included): capacity >= 200 cycles/s;
at 100 cycles/s claim p99 and submit p99 <= 150 ms; all three counters 0. A peer Django MTurk
clone served about 2 cycles/s here. Last reported before the reference phase existed: 357
cycles/s, paced claim p99 49.2 ms, submit p99 29.7 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE_URL = "postgres://postgres@127.0.0.1:5432"
sys.path.insert(0, str(ROOT))
LABELS = ["cat", "dog"]


def bench_environment(*, database: str, redis_url: str, broker_url: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"{BASE_URL}/{database}",
        "REDIS_URL": redis_url,
        # Background jobs a submit triggers (quality rules, aggregation) are queued to Redis for
        # Celery workers, as in production, instead of running inside the measured web requests;
        # nobody consumes this queue during the run and it is flushed before and after.
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "LOG_LEVEL": "WARNING",
    }


def recreate_database(database: str) -> None:
    import psycopg

    with psycopg.connect(f"{BASE_URL}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {database}")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--skip-checks", "-v", "0"],
        cwd=ROOT,
        check=True,
        env=os.environ,
    )


def seed_project(*, title: str, tasks: int) -> int:
    """A classification project of ``tasks`` tasks x overlap 3, 10 % gold. Bulk inserts: seeding
    is not what we measure."""
    from django.db import connection

    from accounts.models import RequesterAccount
    from marketplace.models import Project, ProjectStatus, TemplateType
    from marketplace.task_types import task_type

    account = RequesterAccount.objects.create(name=f"{title} Org")
    project = Project.objects.create(
        account=account,
        title=title,
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
    return project.pk


def seed_workers(*, prefix: str, count: int) -> list:
    from accounts.models import Role, User

    return User.objects.bulk_create(
        [User(email=f"{prefix}{i}@example.com", role=Role.WORKER) for i in range(count)]
    )


def seed(*, tasks: int, workers: int):
    """The measured project and the workers' tokens."""
    from django.core.cache import cache
    from rest_framework.authtoken.models import Token

    cache.clear()
    project = seed_project(title="Bench: cats and dogs", tasks=tasks)
    users = seed_workers(prefix="bench", count=workers)
    tokens = Token.objects.bulk_create(
        [Token(user=user, key=Token.generate_key()) for user in users]
    )
    return project, [token.key for token in tokens]


def start_server(port: int, processes: int, threads: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            sys.executable,  # gunicorn of the running interpreter's environment
            "-m",
            "gunicorn",
            "config.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={processes}",
            f"--threads={threads}",
            "--worker-class=gthread",
            "--keep-alive=75",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=os.environ,
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

    def add(self, other: Stats) -> None:
        self.claim_ms += other.claim_ms
        self.submit_ms += other.submit_ms
        self.cycles += other.cycles
        self.empty += other.empty
        for key, count in other.errors.items():
            self.errors[key] = self.errors.get(key, 0) + count
        self.saved += other.saved


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


# --- Reference: the same SQL over psycopg, no HTTP and no Django -------------------------------

# The parameters each captured statement takes, as the services build them. A statement with
# other parameters means the product changed shape: the bench stops rather than replay it wrong.
STATEMENT_PARAMETERS = {
    "claim_gold": {"project", "worker", "now", "from_pivot"},
    "claim": {"project", "worker", "now", "from_pivot"},
    "submit_read": {"id", "worker"},
    "submit_write": {"id", "answer", "now", "duration", "key", "shard"},
}
CAPTURE_CYCLES = 200  # enough for a gold draw at 10 % (missing one: 0.9 ** 200)


def capture_statements(*, project_id: int) -> dict[str, str]:
    """The SQL that ``assignment_claim`` and ``assignment_submit`` send for a live cycle, by
    role (keys of STATEMENT_PARAMETERS), recorded while a capture worker (not one of the
    measured workers) runs cycles on ``project_id`` until a gold claim has been seen too."""
    from django.db import connection

    from marketplace.services.assignments import assignment_claim, assignment_submit

    (worker,) = seed_workers(prefix="bench-capture", count=1)
    sent: list[tuple[str, object]] = []

    def record(execute, sql, params, many, context):
        sent.append((sql, params))
        return execute(sql, params, many, context)

    statements: dict[str, str] = {}
    with connection.execute_wrapper(record):
        for _ in range(CAPTURE_CYCLES):
            sent.clear()
            claimed = assignment_claim(worker=worker, project=project_id)
            if claimed is None:
                raise SystemExit("capture: the reference project gave no task")
            for sql, params in sent:
                if "SKIP LOCKED" in sql:  # the claim statements (other reads: caches, ratio)
                    statements["claim_gold" if "%(from_pivot)s" in sql else "claim"] = sql
                    _check_parameters("claim", params)
            sent.clear()
            assignment_submit(worker=worker, assignment_id=claimed.assignment_id, answer=LABELS[0])
            if len(sent) != 2:
                raise SystemExit(
                    f"capture: a live submit sent {len(sent)} statements; the reference "
                    "replays a read and a write, update bench/allocation.py"
                )
            for role, (sql, params) in zip(("submit_read", "submit_write"), sent, strict=True):
                _check_parameters(role, params)
                statements[role] = sql
            if statements.keys() == STATEMENT_PARAMETERS.keys():
                return statements
    raise SystemExit(f"capture: saw only {sorted(statements)} in {CAPTURE_CYCLES} cycles")


def _check_parameters(role: str, params) -> None:
    if not isinstance(params, dict) or set(params) != STATEMENT_PARAMETERS[role]:
        raise SystemExit(
            f"capture: the {role} statement takes {params!r}, the reference builds "
            f"{sorted(STATEMENT_PARAMETERS[role])}: update bench/allocation.py"
        )


def _reference_client(connection, statements, workers, setup, stop_at, stats) -> None:
    """One connection: claim -> submit in a loop until ``stop_at`` (wall clock), taking its
    workers in turn. Mirrors ``_claim_in_project`` (gold draw, then gold from a random pivot,
    gold from the start, a regular task) and the live path of ``assignment_submit``."""
    turn = 0
    with connection.cursor() as cursor:
        while time.time() < stop_at:
            worker = workers[turn % len(workers)]
            turn += 1
            started = time.perf_counter()
            params = {
                "project": setup["project"],
                "worker": worker,
                "now": datetime.now(UTC),
                "from_pivot": 1,
            }
            attempts = []
            if random.random() < setup["gold_ratio"]:
                attempts += [
                    (statements["claim_gold"], params),
                    (statements["claim_gold"], {**params, "from_pivot": 0}),
                ]
            attempts.append((statements["claim"], params))
            row = None
            for sql, values in attempts:
                cursor.execute(sql, values)
                row = cursor.fetchone()
                if row:
                    break
            claimed = time.perf_counter()
            stats.claim_ms.append((claimed - started) * 1000)
            if row is None:
                stats.empty += 1
                continue
            assignment = row[0]
            cursor.execute(statements["submit_read"], {"id": assignment, "worker": worker})
            held = cursor.fetchone()
            if held is None or held[0] != "live":
                stats.errors["read"] = stats.errors.get("read", 0) + 1
                continue
            answer = random.choice(LABELS)
            cursor.execute(
                statements["submit_write"],
                {
                    "id": assignment,
                    "answer": json.dumps(answer),
                    "now": datetime.now(UTC),
                    "duration": int((time.perf_counter() - started) * 1000),
                    "key": f"bench-{assignment}",
                    "shard": random.randrange(setup["shards"]),
                },
            )
            stats.submit_ms.append((time.perf_counter() - claimed) * 1000)
            if cursor.fetchone() is None:
                stats.errors["write"] = stats.errors.get("write", 0) + 1
            else:
                stats.cycles += 1


def _reference_process(setup, statements, worker_groups, ready, go, results) -> None:
    """One client process (started from ``sys.executable`` by multiprocessing's spawn): a
    thread and a psycopg connection per worker group; connects, reports ready, waits for the
    start, runs ``setup["seconds"]`` and sends its Stats back."""
    import psycopg

    connections = [
        psycopg.connect(setup["dsn"], autocommit=True, cursor_factory=psycopg.ClientCursor)
        for _ in worker_groups
    ]
    ready.put(True)
    go.wait()
    stop_at = setup["start_at"].value + setup["seconds"]
    per_thread = [Stats() for _ in connections]
    threads = [
        threading.Thread(
            target=_reference_client, args=(conn, statements, group, setup, stop_at, stats)
        )
        for conn, group, stats in zip(connections, worker_groups, per_thread, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for conn in connections:
        conn.close()
    for stats in per_thread:
        results.put((stats.cycles, stats.empty, stats.errors, stats.claim_ms, stats.submit_ms))


def reference(*, dsn, statements, setup, workers, processes, threads, seconds):
    """Run the reference loop on ``processes`` x ``threads`` connections for ``seconds``;
    returns the merged Stats and the elapsed wall time from the common start."""
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited sockets
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    start_at = context.Value("d", 0.0)
    connections = processes * threads
    groups = [workers[i::connections] for i in range(connections)]
    children = [
        context.Process(
            target=_reference_process,
            args=(
                {**setup, "dsn": dsn, "seconds": seconds, "start_at": start_at},
                statements,
                groups[p * threads : (p + 1) * threads],
                ready,
                go,
                results,
            ),
        )
        for p in range(processes)
    ]
    for child in children:
        child.start()
    for _ in children:
        ready.get(timeout=120)
    start_at.value = time.time()
    go.set()
    stats = Stats()
    for _ in range(connections):
        cycles, empty, errors, claim_ms, submit_ms = results.get(timeout=seconds + 120)
        stats.cycles += cycles
        stats.empty += empty
        for key, count in errors.items():
            stats.errors[key] = stats.errors.get(key, 0) + count
        stats.claim_ms += claim_ms
        stats.submit_ms += submit_ms
    elapsed = time.time() - start_at.value
    for child in children:
        child.join(30)
    return stats, elapsed


# --- CPU steal --------------------------------------------------------------------------------


class CpuTimes:
    """Steal and total CPU time (jiffies of all CPUs, from /proc/stat) summed over the blocks
    run under ``with``. Total is user + nice + system + idle + iowait + irq + softirq + steal
    (guest time is already counted in user and nice)."""

    def __init__(self):
        self.steal = self.total = 0
        self._start: tuple[int, int] | None = None

    @staticmethod
    def read() -> tuple[int, int] | None:
        try:
            with open("/proc/stat") as stat:
                fields = stat.readline().split()
        except OSError:  # not Linux
            return None
        values = [int(value) for value in fields[1:9]]
        return values[7], sum(values)

    def start(self) -> CpuTimes:
        self._start = self.read()
        return self

    def stop(self) -> None:
        end = self.read()
        if self._start is not None and end is not None:
            self.steal += end[0] - self._start[0]
            self.total += end[1] - self._start[1]

    def __enter__(self) -> CpuTimes:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()

    def steal_percent(self) -> str:
        return f"{100 * self.steal / self.total:.1f}" if self.total else "n/a"


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
    parser.add_argument(
        "--reference-tasks",
        type=int,
        default=30_000,
        help="tasks of the reference project (the bare SQL runs several times faster)",
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="per phase")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="alternate capacity and reference this many times (--seconds in all each)",
    )
    parser.add_argument("--rate", type=float, default=100.0, help="paced cycles per second")
    parser.add_argument("--processes", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--database", default="quorum_bench", help="dropped and re-created")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0", help="the cache")
    parser.add_argument(
        "--broker-url", default="redis://127.0.0.1:6379/15", help="Celery's, flushed"
    )
    args = parser.parse_args()
    os.environ.update(
        bench_environment(
            database=args.database, redis_url=args.redis_url, broker_url=args.broker_url
        )
    )

    import redis

    run_cpu = CpuTimes().start()
    queue = redis.Redis.from_url(args.broker_url)
    queue.flushdb()
    recreate_database(args.database)
    import django

    django.setup()
    from marketplace.models import Project, ProjectCounter

    project, tokens = seed(tasks=args.tasks, workers=args.workers)
    reference_project = seed_project(title="Bench reference: bare SQL", tasks=args.reference_tasks)
    reference_workers = [user.pk for user in seed_workers(prefix="bench-sql", count=args.workers)]
    statements = capture_statements(project_id=reference_project)
    reference_setup = {
        "project": reference_project,
        "gold_ratio": Project.objects.get(pk=reference_project).gold_ratio,
        "shards": ProjectCounter.SHARDS,
    }
    print(
        f"seeded: {args.tasks} tasks x overlap 3 (10% gold), {args.workers} workers; gunicorn "
        f"{args.processes} x {args.threads} threads on 127.0.0.1:{args.port}, db {args.database}; "
        f"reference: {args.reference_tasks} tasks, {args.workers} workers on "
        f"{args.processes} x {args.threads} psycopg connections, statements captured: "
        f"{', '.join(sorted(statements))}"
    )
    server = start_server(args.port, args.processes, args.threads)
    try:
        # Warm-up: every worker's token into the cache, every connection open.
        asyncio.run(capacity(args.port, tokens, project, 1.0))
        run_reference = {
            "dsn": os.environ["DATABASE_URL"],
            "statements": statements,
            "setup": reference_setup,
            "workers": reference_workers,
            "processes": args.processes,
            "threads": args.threads,
        }
        reference(**run_reference, seconds=1.0)  # warm-up, as for HTTP
        # Capacity and the reference alternate (``--rounds`` times, ``--seconds`` in all each),
        # so both see the machine in the same state even when other load comes and goes.
        cap, ref = Stats(), Stats()
        cap_elapsed = ref_elapsed = 0.0
        cap_cpu, ref_cpu = CpuTimes(), CpuTimes()
        for round_number in range(args.rounds):
            with cap_cpu:
                stats, elapsed = asyncio.run(
                    capacity(args.port, tokens, project, args.seconds / args.rounds)
                )
            cap.add(stats)
            cap_elapsed += elapsed
            if round_number == 0:
                # Right after the first capacity slice, as before the reference existed: the
                # reference's own writes (another project, same tables) must not stand between
                # the capacity phase and the latency phase it is compared with.
                pace, pace_elapsed = asyncio.run(
                    paced(args.port, tokens, project, args.seconds, args.rate)
                )
            with ref_cpu:
                stats, elapsed = reference(**run_reference, seconds=args.seconds / args.rounds)
            ref.add(stats)
            ref_elapsed += elapsed
        report("capacity", cap, cap_elapsed)
        report("bare SQL reference", ref, ref_elapsed)
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
        "<= 150 ms; counters 0 (peer Django MTurk clone: ~2 cycles/s); last reported 357 "
        "cycles/s, p99 49.2 / 29.7 ms"
    )
    capacity_cps = cap.cycles / cap_elapsed
    reference_cps = ref.cycles / ref_elapsed
    claim_p99, submit_p99 = percentile(pace.claim_ms, 0.99), percentile(pace.submit_ms, 0.99)
    print(
        f"ratios (>= 1 meets): capacity {capacity_cps:.0f}/200 = {capacity_cps / 200:.2f}; "
        f"claim p99 150/{claim_p99:.1f} = {150 / claim_p99:.2f}; "
        f"submit p99 150/{submit_p99:.1f} = {150 / submit_p99:.2f}; "
        f"vs the peer's ~2 cycles/s: {capacity_cps / 2:.0f}x"
    )
    if ref.empty or ref.errors:
        print(
            f"WARNING: the reference ran out of work or failed ({ref.empty} empty claims, "
            f"errors {ref.errors or 0}): raise --reference-tasks; its figure is too low"
        )
    print(
        f"allocation: workers={args.workers} cycles_per_s={capacity_cps:.0f} "
        f"paced_cps={args.rate:g} claim_p50_ms={percentile(pace.claim_ms, 0.5):.1f} "
        f"claim_p99_ms={claim_p99:.1f} submit_p99_ms={submit_p99:.1f} "
        f"over_assigned={checks['over_assigned']} duplicate_pairs={checks['duplicate_pairs']} "
        f"lost_answers={checks['lost_answers']}"
    )
    run_cpu.stop()
    run_steal = run_cpu.steal_percent()
    print(
        f"allocation_vs_sql: cycles_per_s={capacity_cps:.0f} "
        f"reference_sql_cycles_per_s={reference_cps:.0f} "
        f"ratio={capacity_cps / reference_cps if reference_cps else float('nan'):.3f} "
        f"connections={args.processes * args.threads} "
        f"cpu_steal_pct={run_steal} "
        f"(capacity phase {cap_cpu.steal_percent()}, reference phase {ref_cpu.steal_percent()})"
    )


if __name__ == "__main__":
    main()
