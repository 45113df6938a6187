"""Ledger benchmark: approve N submitted answers on PostgreSQL through the product's own paths,
time single approvals, then check every ledger invariant with SQL.

    .venv/bin/python bench/ledger.py [--approvals 100000] [--singles 1000] [--keep]

Re-creates the database ``quorum_bench_ledger`` (dropped at the end unless ``--keep``) and seeds
it: one requester organisation funded by bank deposit, one project (3-cent reward, overlap 3, 20 %
fee, so fees run 1, 1, 0, 1, 0 …) published through ``project_publish`` (which reserves escrow),
and ``approvals + singles`` submitted answers inserted with one SQL statement (seeding is not
what is measured). Then:

1. half of ``--approvals`` through bulk review (``assignments_review``, in requests of 1,000 ids,
   the API's maximum);
2. ``--singles`` answers approved one by one (``assignment_approve``), each timed;
3. the rest through auto-approval (``assignments_auto_approve``, called as celery beat does
   until nothing is due).

Reference (issue 7): >= 1,000 approvals/s in bulk, single approval p99 <= 50 ms, 0 invariant
violations. Last line: ``ledger: approvals=… approvals_per_s=… single_approval_p99_ms=…
invariant_violations=…``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
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


def seed(*, answers: int, workers: int):
    """A funded organisation, a published project and ``answers`` submitted answers, due for
    auto-approval. Returns (project, answer ids in submission order, cents deposited)."""
    import django

    django.setup()
    from django.db import connection

    from accounts.models import Role, User
    from accounts.services import user_create
    from marketplace.models import Assignment, Project, TemplateType
    from marketplace.services.projects import project_create, project_publish
    from payments import money
    from payments.services import funds_deposit

    requester = user_create(
        email="bench-requester@example.com",
        password="x",
        role=Role.REQUESTER,
        organisation_name="Bench Org",
    )
    project = project_create(
        account=requester.requester_account,
        created_by=requester,
        title="Ledger benchmark",
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
        requester_account=requester.requester_account, amount_cents=deposited, reference="BENCH"
    )
    project = project_publish(project=project)
    User.objects.bulk_create(
        [User(email=f"bench-worker-{n}@example.com", role=Role.WORKER) for n in range(workers)],
        batch_size=2_000,
    )
    # Answer i is the (i mod 3)-th answer of task i // 3, by worker i mod W: three different
    # workers per task. Submitted four days ago, so all are past the 3-day auto-approval delay.
    with connection.cursor() as cursor:
        cursor.execute(
            """WITH t AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n
                          FROM marketplace_task WHERE project_id = %(project)s),
                    w AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n
                          FROM accounts_user WHERE email LIKE 'bench-worker-%%')
            INSERT INTO marketplace_assignment (task_id, worker_id, project_id, is_gold, status,
                answer, claimed_at, expires_at, submitted_at, duration_ms, submit_key,
                review_status, rejection_reason)
            SELECT t.id, w.id, %(project)s, false, 'submitted', '"cat"'::jsonb,
                now() - interval '5 days', now() - interval '5 days' + interval '1 hour',
                now() - interval '4 days' + i * interval '1 millisecond', 4000, '', 'pending', ''
            FROM generate_series(0, %(answers)s - 1) AS i
            JOIN t ON t.n = i / %(overlap)s JOIN w ON w.n = i %% %(workers)s""",
            {"project": project.pk, "answers": answers, "overlap": OVERLAP, "workers": workers},
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


def check_invariants(project, deposited: int, approved: int) -> dict[str, int]:
    from django.db import connection

    from payments import ledger, money
    from payments.models import AccountKind, LedgerAccount, ProjectEscrow

    found = {}
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the tables grew 100-fold since seeding: fresh plans
        for name, sql in INVARIANTS.items():
            cursor.execute(sql)
            found[name] = cursor.fetchone()[0]

    def total(kind: str) -> int:
        return sum(LedgerAccount.objects.filter(kind=kind).values_list("balance_cents", flat=True))

    available = ledger.requester_available_account(project.account_id).balance_cents
    escrow = ledger.project_escrow_account(project).balance_cents
    paid, fees = total(AccountKind.WORKER_PAYABLE), total(AccountKind.PLATFORM_FEES)
    found["available + escrow + paid + fees differing from the deposit"] = int(
        available + escrow + paid + fees != deposited
    )
    found["workers' earnings differing from approvals x reward"] = int(
        paid != approved * REWARD_CENTS
    )
    # The cumulative fee rule: after N paid answers the platform holds exactly fee(N x reward).
    found["fees differing from the cumulative fee"] = int(
        fees != money.fee_cents(approved * REWARD_CENTS)
    )
    escrow_row = ProjectEscrow.objects.get(project=project)
    found["escrow's paid counter differing from approvals"] = int(
        escrow_row.paid_assignments != approved
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
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    started, load_before = time.perf_counter(), os.getloadavg()[0]
    recreate_database()
    project, ids, deposited = seed(
        answers=args.approvals + args.singles, workers=max(args.workers, OVERLAP)
    )
    print(
        f"seeded {len(ids):,} submitted answers of 1 project in "
        f"{time.perf_counter() - started:.1f} s (not measured)",
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
    print(
        f"single approval (assignment_approve) x {len(single_ms):,}: p50 {p50:.1f} ms, "
        f"p99 {p99:.1f} ms, max {max(single_ms):.1f} ms vs target p99 <= "
        f"{TARGET_SINGLE_P99_MS} ms (ratio {TARGET_SINGLE_P99_MS / p99:.2f}, >= 1 meets)",
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
    found = check_invariants(project, deposited, approved=args.approvals + len(single_ms))
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
        f"ledger: approvals={args.approvals} approvals_per_s={rate:.0f} "
        f"single_approval_p99_ms={p99:.1f} invariant_violations={violations}"
    )


if __name__ == "__main__":
    main()
