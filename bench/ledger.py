"""Ledger benchmark: approve N submitted answers on PostgreSQL through the product's own paths,
time single approvals (one at a time, then from many threads at once), then check every ledger
invariant with SQL.

    python bench/ledger.py [--approvals 100000] [--singles 1000] [--threads 16]
        [--concurrent 250] [--compare-one-fee-account] [--keep]

Re-creates the database ``quorum_bench_ledger`` (dropped at the end unless ``--keep``) and seeds
it: one requester organisation funded by bank deposit, one project (3-cent reward, overlap 3, 20 %
fee, so fees run 1, 1, 0, 1, 0 …) published through ``project_publish`` (which reserves escrow),
and ``approvals + singles`` submitted answers inserted with one SQL statement (seeding is not
what is measured); then ``--threads`` more organisations seeded the same way, one project and
``--concurrent`` answers each, by workers of their own. Then:

1. half of ``--approvals`` through bulk review (``assignments_review``, in requests of 1,000 ids,
   the API's maximum);
2. ``--singles`` answers approved one by one (``assignment_approve``), each timed;
3. ``--threads`` threads at once, each approving its own project's ``--concurrent`` answers one
   by one (``assignment_approve``), each timed: different escrow, requester and worker rows, so
   they wait for each other only on what they all share (the platform-fee accounts). With
   ``--compare-one-fee-account``, first the same on ``--threads`` more projects with every fee
   on one account (``PLATFORM_FEE_SHARDS`` = 1, the contention of before sharding);
4. the rest through auto-approval (``assignments_auto_approve``, called as celery beat does
   until nothing is due).

Reference (issue 7): >= 1,000 approvals/s in bulk, single approval p99 <= 50 ms, 0 invariant
violations. Second-to-last line: ``ledger concurrent: threads=… approvals=… approvals_per_s=…
p99_ms=…``; last line: ``ledger: approvals=… approvals_per_s=… single_approval_p99_ms=…
invariant_violations=…``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "quorum_bench_ledger"
BASE_URL = "postgres://postgres@127.0.0.1:5432"
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"{BASE_URL}/{DATABASE}",
        "PLATFORM_FEE_BASIS_POINTS": "2000",
        "LOG_LEVEL": "WARNING",
    }
)
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/7")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/8")
sys.path.insert(0, str(ROOT))

TARGET_APPROVALS_PER_S = 1_000
TARGET_SINGLE_P99_MS = 50
REWARD_CENTS = 3
OVERLAP = 3
API_BULK_MAX = 1_000


def admin_sql(statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{BASE_URL}/postgres", autocommit=True) as admin:
        admin.execute(statement)


def recreate_database() -> None:
    admin_sql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    admin_sql(f"CREATE DATABASE {DATABASE}")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--skip-checks", "-v", "0"],
        cwd=ROOT,
        check=True,
        env=os.environ,
    )


def seed(*, answers: int, workers: int, name: str = ""):
    """A funded organisation, a published project and ``answers`` submitted answers by
    ``workers`` workers of its own, due for auto-approval. ``name`` tells the organisations
    apart. Returns (project, answer ids in submission order, cents deposited)."""
    import django

    django.setup()
    from django.db import connection

    from accounts.models import Role, User
    from accounts.services import user_create
    from marketplace.models import Assignment, Project, TemplateType
    from marketplace.services.projects import project_create, project_publish
    from payments import money
    from payments.services.funds import funds_deposit

    prefix = f"bench-{name}-" if name else "bench-"
    requester = user_create(
        email=f"{prefix}requester@example.com",
        password="x",
        role=Role.REQUESTER,
        organisation_name=f"Bench Org {name}".strip(),
    )
    project = project_create(
        account=requester.requester_account,
        created_by=requester,
        title=f"Ledger benchmark {name}".strip(),
        template_type=TemplateType.CLASSIFICATION,
        label_config={"labels": [{"value": "cat"}, {"value": "dog"}]},
        reward_cents=REWARD_CENTS,
        overlap_min=OVERLAP,
        overlap_max=OVERLAP,
        gold_ratio=0.0,
    )
    tasks = -(-answers // OVERLAP)
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO marketplace_task (project_id, external_id, data, is_gold, gold_answer,
                gold_explanation, overlap, slots_taken, answers_count, status,
                aggregation_method, created_at)
            SELECT %s, 'item-' || i, jsonb_build_object('text', 'Item ' || i), false, NULL, '',
                %s, 0, 0, 'open', '', now()
            FROM generate_series(0, %s - 1) AS i""",
            [project.pk, OVERLAP, tasks],
        )
    Project.objects.filter(pk=project.pk).update(tasks_count=tasks, gold_tasks_count=0)
    cost = money.cost_cents(assignments=tasks * OVERLAP, reward_cents=REWARD_CENTS)
    deposited = cost + 10_000  # a little more than the reservation: available stays positive
    funds_deposit(
        requester_account=requester.requester_account,
        amount_cents=deposited,
        reference=f"BENCH{name}",
    )
    project = project_publish(project=project)
    User.objects.bulk_create(
        [User(email=f"{prefix}worker-{n}@example.com", role=Role.WORKER) for n in range(workers)],
        batch_size=2_000,
    )
    # Answer i is the (i mod 3)-th answer of task i // 3, by worker i mod W: three different
    # workers per task. Submitted four days ago, so all are past the 3-day auto-approval delay.
    with connection.cursor() as cursor:
        cursor.execute(
            """WITH t AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n
                          FROM marketplace_task WHERE project_id = %(project)s),
                    w AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n
                          FROM accounts_user WHERE email LIKE %(workers_like)s)
            INSERT INTO marketplace_assignment (task_id, worker_id, project_id, is_gold, status,
                answer, claimed_at, expires_at, submitted_at, duration_ms, submit_key,
                review_status, rejection_reason)
            SELECT t.id, w.id, %(project)s, false, 'submitted', '"cat"'::jsonb,
                now() - interval '5 days', now() - interval '5 days' + interval '1 hour',
                now() - interval '4 days' + i * interval '1 millisecond', 4000, '', 'pending', ''
            FROM generate_series(0, %(answers)s - 1) AS i
            JOIN t ON t.n = i / %(overlap)s JOIN w ON w.n = i %% %(workers)s""",
            {
                "project": project.pk,
                "answers": answers,
                "overlap": OVERLAP,
                "workers": workers,
                "workers_like": f"{prefix}worker-%",
            },
        )
        cursor.execute(
            """UPDATE marketplace_task SET slots_taken = overlap, answers_count = overlap,
                status = 'complete' WHERE project_id = %s""",
            [project.pk],
        )
        cursor.execute(
            """INSERT INTO marketplace_projectcounter (project_id, shard, tasks_completed,
                answers, gold_answers) VALUES (%s, 0, %s, %s, 0)""",
            [project.pk, tasks, answers],
        )
        cursor.execute("ANALYZE")
    ids = list(
        Assignment.objects.filter(project=project)
        .order_by("submitted_at")
        .values_list("id", flat=True)
    )
    assert len(ids) == answers, (len(ids), answers)
    return project, ids, deposited


def run_bulk(project, ids: list[int]) -> float:
    from marketplace.services.reviews import assignments_review

    started = time.perf_counter()
    for start in range(0, len(ids), API_BULK_MAX):
        counts = assignments_review(
            project=project, assignment_ids=ids[start : start + API_BULK_MAX], approve=True
        )
        assert counts["refused"] == 0, counts
    return time.perf_counter() - started


def run_singles(ids: list[int]) -> list[float]:
    from marketplace.services.reviews import assignment_approve

    timings = []
    for assignment_id in ids:
        started = time.perf_counter()
        assignment_approve(assignment_id=assignment_id)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def run_concurrent(id_lists: list[list[int]]) -> tuple[float, list[float]]:
    """One thread per list, all started together, each approving its list one by one on its own
    connection. Returns (wall seconds from the start to the last commit, every approval's ms)."""
    from django.db import connection

    from marketplace.services.reviews import assignment_approve

    start = threading.Barrier(len(id_lists) + 1)
    timings: list[list[float]] = [[] for _ in id_lists]
    errors: list[BaseException] = []

    def approve_all(ids: list[int], mine: list[float]) -> None:
        try:
            connection.ensure_connection()  # connecting is not what is measured
            start.wait()
            for assignment_id in ids:
                began = time.perf_counter()
                assignment_approve(assignment_id=assignment_id)
                mine.append((time.perf_counter() - began) * 1000)
        except BaseException as error:  # reported after the join
            errors.append(error)
            start.abort()
        finally:
            connection.close()

    threads = [
        threading.Thread(target=approve_all, args=(ids, mine))
        for ids, mine in zip(id_lists, timings, strict=True)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    if errors:
        raise errors[0]
    return seconds, [ms for mine in timings for ms in mine]


def run_auto() -> tuple[int, float]:
    from marketplace.services.reviews import assignments_auto_approve

    approved, started = 0, time.perf_counter()
    while done := assignments_auto_approve():
        approved += done
    return approved, time.perf_counter() - started


# Each query counts rows that break a rule; all must be 0.
INVARIANTS = {
    "transactions unbalanced or with fewer than 2 entries": """
        SELECT count(*) FROM (
            SELECT t.id FROM payments_ledgertransaction t
            LEFT JOIN payments_ledgerentry e ON e.transaction_id = t.id GROUP BY t.id
            HAVING count(e.id) < 2 OR coalesce(sum(e.amount_cents), 0) <> 0) bad""",
    "account balances differing from the sum of their entries": """
        SELECT count(*) FROM payments_ledgeraccount a
        LEFT JOIN (SELECT account_id, sum(amount_cents) AS total FROM payments_ledgerentry
                   GROUP BY account_id) e ON e.account_id = a.id
        WHERE a.balance_cents <> coalesce(e.total, 0)""",
    "negative balances on accounts that must not go negative": """
        SELECT count(*) FROM payments_ledgeraccount
        WHERE balance_cents < 0 AND NOT may_go_negative""",
    "approved answers not paid exactly once": """
        SELECT count(*) FROM marketplace_assignment a
        LEFT JOIN (SELECT assignment_id, count(*) AS n FROM payments_ledgertransaction
                   WHERE kind = 'pay' GROUP BY assignment_id) p ON p.assignment_id = a.id
        WHERE a.review_status = 'approved' AND coalesce(p.n, 0) <> 1""",
    "payments for answers that are not approved": """
        SELECT count(*) FROM payments_ledgertransaction t
        JOIN marketplace_assignment a ON a.id = t.assignment_id
        WHERE t.kind = 'pay' AND a.review_status <> 'approved'""",
    "payments not crediting the answer's worker exactly the reward": """
        SELECT count(*) FROM payments_ledgertransaction t
        JOIN marketplace_assignment a ON a.id = t.assignment_id
        JOIN marketplace_project p ON p.id = a.project_id
        WHERE t.kind = 'pay' AND NOT EXISTS (
            SELECT 1 FROM payments_ledgerentry e
            JOIN payments_ledgeraccount acc ON acc.id = e.account_id
            WHERE e.transaction_id = t.id AND acc.kind = 'worker_payable'
              AND acc.worker_id = a.worker_id AND e.amount_cents = p.reward_cents)""",
}


def check_invariants(approved: dict, deposited: int, fee_codes: dict[int, str]) -> dict[str, int]:
    """``approved``: answers approved by project; ``deposited``: cents deposited in all;
    ``fee_codes``: the fee account of projects paid with another shard count (by project id)."""
    from django.conf import settings
    from django.db import connection

    from payments import money
    from payments.models import AccountKind, LedgerAccount, ProjectEscrow

    found = {}
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the tables grew 100-fold since seeding: fresh plans
        for name, sql in INVARIANTS.items():
            cursor.execute(sql)
            found[name] = cursor.fetchone()[0]

    def total(kind: str) -> int:
        return sum(LedgerAccount.objects.filter(kind=kind).values_list("balance_cents", flat=True))

    available = total(AccountKind.REQUESTER_AVAILABLE)
    escrow = total(AccountKind.PROJECT_ESCROW)
    paid, fees = total(AccountKind.WORKER_PAYABLE), total(AccountKind.PLATFORM_FEES)
    found["available + escrow + paid + fees differing from the deposits"] = int(
        available + escrow + paid + fees != deposited
    )
    found["workers' earnings differing from approvals x reward"] = int(
        paid != sum(approved.values()) * REWARD_CENTS
    )
    # The cumulative fee rule: after N paid answers of a project the platform holds exactly
    # fee(N x reward) of it, over all its fee accounts.
    found["fees differing from the projects' cumulative fees"] = int(
        fees != sum(money.fee_cents(n * REWARD_CENTS) for n in approved.values())
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT DISTINCT t.project_id, a.code FROM payments_ledgerentry e
            JOIN payments_ledgeraccount a ON a.id = e.account_id
            JOIN payments_ledgertransaction t ON t.id = e.transaction_id
            WHERE t.kind = 'pay' AND a.kind = 'platform_fees'"""
        )
        found["projects with answer fees off their fee shard"] = sum(
            code
            != fee_codes.get(
                project_id, f"platform_fees:{project_id % settings.PLATFORM_FEE_SHARDS}"
            )
            for project_id, code in cursor.fetchall()
        )
    paid_counters = dict(ProjectEscrow.objects.values_list("project_id", "paid_assignments"))
    found["escrows' paid counters differing from approvals"] = sum(
        paid_counters.get(project.pk) != n for project, n in approved.items()
    )
    return found


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--approvals", type=int, default=100_000)
    parser.add_argument("--singles", type=int, default=1_000, help="at least 1")
    parser.add_argument("--workers", type=int, default=1_000)
    parser.add_argument(
        "--threads", type=int, default=16, help="concurrent single approvers (at least 1)"
    )
    parser.add_argument(
        "--concurrent", type=int, default=250, help="single approvals per thread (at least 1)"
    )
    parser.add_argument(
        "--compare-one-fee-account",
        action="store_true",
        help="first run the concurrent phase once more on other projects, with all fees on one "
        "account (PLATFORM_FEE_SHARDS=1, as before sharding), and print the ratio",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    started, load_before = time.perf_counter(), os.getloadavg()[0]
    recreate_database()
    project, ids, deposited = seed(
        answers=args.approvals + args.singles, workers=max(args.workers, OVERLAP)
    )
    # One organisation, project and set of workers per thread: nothing but the platform's fee
    # accounts is shared between the threads' approvals.
    concurrent = [
        seed(answers=args.concurrent, workers=max(args.concurrent // 5, OVERLAP), name=f"c{n}")
        for n in range(args.threads)
    ]
    unsharded = [
        seed(answers=args.concurrent, workers=max(args.concurrent // 5, OVERLAP), name=f"u{n}")
        for n in range(args.threads if args.compare_one_fee_account else 0)
    ]
    deposited += sum(row[2] for row in concurrent + unsharded)
    print(
        f"seeded {len(ids):,} submitted answers of 1 project and {args.concurrent:,} of each of "
        f"{len(concurrent) + len(unsharded)} more in {time.perf_counter() - started:.1f} s "
        "(not measured)",
        flush=True,
    )
    half = args.approvals // 2
    bulk_seconds = run_bulk(project, ids[:half])
    print(
        f"bulk review (assignments_review): {half:,} approvals in {bulk_seconds:.1f} s = "
        f"{half / bulk_seconds:,.0f}/s",
        flush=True,
    )
    single_ms = run_singles(ids[args.approvals : args.approvals + args.singles])
    p50, p99 = statistics.median(single_ms), percentile(single_ms, 0.99)
    single_rate = len(single_ms) / (sum(single_ms) / 1000)
    print(
        f"single approval (assignment_approve) x {len(single_ms):,}: p50 {p50:.1f} ms, "
        f"p99 {p99:.1f} ms, max {max(single_ms):.1f} ms, {single_rate:,.0f}/s one at a time "
        f"vs target p99 <= {TARGET_SINGLE_P99_MS} ms (ratio {TARGET_SINGLE_P99_MS / p99:.2f}, "
        ">= 1 meets)",
        flush=True,
    )
    if unsharded:
        from django.conf import settings

        shards, settings.PLATFORM_FEE_SHARDS = settings.PLATFORM_FEE_SHARDS, 1
        one_seconds, one_ms = run_concurrent([row[1] for row in unsharded])
        settings.PLATFORM_FEE_SHARDS = shards
        one_rate, one_p99 = len(one_ms) / one_seconds, percentile(one_ms, 0.99)
        print(
            f"concurrent single approval, fees on one account (as before sharding) x "
            f"{len(one_ms):,}: {one_rate:,.0f}/s (ratio to one at a time "
            f"{one_rate / single_rate:.2f}), p50 {statistics.median(one_ms):.1f} ms, p99 "
            f"{one_p99:.1f} ms, max {max(one_ms):.1f} ms",
            flush=True,
        )
    together_seconds, together_ms = run_concurrent([row[1] for row in concurrent])
    together_rate = len(together_ms) / together_seconds
    together_p50 = statistics.median(together_ms)
    together_p99 = percentile(together_ms, 0.99)
    print(
        f"concurrent single approval (assignment_approve, {args.threads} threads, a project "
        f"each) x {len(together_ms):,}: {together_rate:,.0f}/s (ratio to one at a time "
        f"{together_rate / single_rate:.2f}), p50 {together_p50:.1f} ms, p99 "
        f"{together_p99:.1f} ms, max {max(together_ms):.1f} ms vs target p99 <= "
        f"{TARGET_SINGLE_P99_MS} ms (ratio {TARGET_SINGLE_P99_MS / together_p99:.2f}, >= 1 meets)",
        flush=True,
    )
    if unsharded:
        print(
            f"fee shards vs one fee account: throughput ratio {together_rate / one_rate:.2f}, "
            f"p99 ratio {together_p99 / one_p99:.2f} (throughput > 1 and p99 < 1: shards help)",
            flush=True,
        )
    auto_approved, auto_seconds = run_auto()
    print(
        f"auto-approval (assignments_auto_approve): {auto_approved:,} approvals in "
        f"{auto_seconds:.1f} s = {auto_approved / auto_seconds:,.0f}/s",
        flush=True,
    )
    assert auto_approved == args.approvals - half, auto_approved
    rate = args.approvals / (bulk_seconds + auto_seconds)
    print(
        f"approvals: {args.approvals:,} at {rate:,.0f}/s vs target >= "
        f"{TARGET_APPROVALS_PER_S:,}/s (ratio {rate / TARGET_APPROVALS_PER_S:.2f}, >= 1 meets)",
        flush=True,
    )

    from django.db import connection

    connection.close()  # the checks read committed data afresh
    approved = {project: args.approvals + len(single_ms)}
    approved.update((row[0], len(row[1])) for row in concurrent + unsharded)
    found = check_invariants(
        approved, deposited, fee_codes={row[0].pk: "platform_fees:0" for row in unsharded}
    )
    violations = sum(found.values())
    if not args.keep:
        admin_sql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    # The figures are CPU-bound on a shared 2-core machine: say how busy it was.
    print(
        f"machine: {os.cpu_count()} cores, 1-min load average {load_before:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end"
    )
    for name, count in found.items():
        print(f"invariant: {name}: {count}")
    print(
        f"ledger concurrent: threads={args.threads} approvals={len(together_ms)} "
        f"approvals_per_s={together_rate:.0f} p99_ms={together_p99:.1f}"
    )
    print(
        f"ledger: approvals={args.approvals} approvals_per_s={rate:.0f} "
        f"single_approval_p99_ms={p99:.1f} invariant_violations={violations}"
    )


if __name__ == "__main__":
    main()
