"""The workforce review lists at platform size: the requester's worker list with quality figures
and the staff queue of quality flags and blocks.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/quorum_bench \\
        python bench/workforce_lists.py [--workers 5000]

Creates a throw-away database (Django's test database for DATABASE_URL, dropped at the end) and
fills it in SQL: one requester organisation with 8 projects and another with 2, 20 tasks each
(half gold); every worker answers all tasks of 3 of the first organisation's projects and 1 of
the other's (5,000 workers: 400,000 answers); worker stats come from the real
``worker_stats_refresh``; 10 % of workers get a fast-answer flag per project, 3 % a block. Then
times, through the API as the pages use it, the first and a middle page of the worker list (50
rows) and the first and a later page of the staff queue, and counts their queries.

Reference: a page of either list under 300 ms on the shared 2-core machine, with the same number
of queries on every page whatever the data size (no query per row).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from _seed import insert_bench_workers  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from accounts.models import RequesterAccount, Role, User  # noqa: E402
from marketplace.models import Project, ProjectStatus, Task, TemplateType  # noqa: E402
from marketplace.services.worker_stats import worker_stats_refresh  # noqa: E402
from marketplace.task_types import task_type  # noqa: E402

TARGET_MS = 300


def populate(workers: int) -> tuple[User, User]:
    config = task_type(TemplateType.CLASSIFICATION).clean_config({"labels": ["cat", "dog"]})
    accounts = [RequesterAccount.objects.create(name=name) for name in ("Bench A", "Bench B")]
    projects = [
        Project.objects.create(
            account=accounts[0 if index < 8 else 1],
            title=f"Bench {index}",
            template_type=TemplateType.CLASSIFICATION,
            label_config=config,
            reward_cents=1,
            overlap_min=3,
            overlap_max=workers,
            status=ProjectStatus.ACTIVE,
        )
        for index in range(10)
    ]
    Task.objects.bulk_create(
        Task(
            project=project,
            data={"text": f"item {n}"},
            is_gold=n % 2 == 0,
            gold_answer="cat" if n % 2 == 0 else None,
            overlap=workers,
        )
        for project in projects
        for n in range(20)
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        insert_bench_workers(cursor, workers)
        cursor.execute(
            """CREATE TEMP TABLE bench_worker AS
               SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM accounts_user
               WHERE email LIKE 'bench%%'"""
        )
        cursor.execute(
            """CREATE TEMP TABLE bench_project AS
               SELECT row_number() OVER (ORDER BY id) - 1 AS idx, id FROM marketplace_project"""
        )
        cursor.execute(
            """INSERT INTO marketplace_assignment (task_id, worker_id, project_id, is_gold,
                   status, answer, claimed_at, expires_at, submitted_at, duration_ms,
                   submit_key, review_status, rejection_reason)
               SELECT t.id, w.id, t.project_id, t.is_gold, 'submitted',
                      to_jsonb(CASE WHEN random() < 0.8 THEN 'cat' ELSE 'dog' END),
                      now(), now() + interval '10 minutes', now(),
                      (500 + random() * 20000)::int, '', 'pending', ''
               FROM bench_worker w
               JOIN bench_project p ON p.idx IN (w.n % 8, (w.n + 3) % 8, (w.n + 5) % 8,
                                                 8 + w.n % 2)
               JOIN marketplace_task t ON t.project_id = p.id"""
        )
        cursor.execute(
            """INSERT INTO marketplace_qualityaction (project_id, worker_id, rule, action,
                   reason, answers_discarded, created_at)
               SELECT a.project_id, a.worker_id, 'fast_answers', 'flag', 'bench', 0,
                      now() - random() * interval '30 days'
               FROM (SELECT DISTINCT project_id, worker_id FROM marketplace_assignment) a
               WHERE random() < 0.1"""
        )
        cursor.execute(
            """INSERT INTO marketplace_projectblock (project_id, worker_id, reason, created_at)
               SELECT a.project_id, a.worker_id, 'bench', now()
               FROM (SELECT DISTINCT project_id, worker_id FROM marketplace_assignment) a
               WHERE random() < 0.03"""
        )
        cursor.execute("ANALYZE")
    for project in projects:
        worker_stats_refresh(project=project)
    requester = User.objects.create(
        email="requester@bench.example.com", role=Role.REQUESTER, requester_account=accounts[0]
    )
    staff = User.objects.create(email="staff@bench.example.com", role=Role.STAFF, is_staff=True)
    return requester, staff


def timed(client: APIClient, url: str, params: dict, runs: int = 5) -> tuple[float, int, dict]:
    """Best of ``runs`` (the machine is shared), with the query count of the last run."""
    best = float("inf")
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url, params)
            best = min(best, (time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:300]
    if os.environ.get("BENCH_QUERIES"):
        for query in captured.captured_queries:
            print(f"  {float(query['time']) * 1000:7.0f} ms  {query['sql'][:150]}")
    return best, len(captured), response.json()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=5000)
    args = parser.parse_args()
    creation = connection.creation
    old_name = creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        started = time.monotonic()
        requester, staff = populate(args.workers)
        print(f"filled {args.workers} workers in {time.monotonic() - started:.1f} s")
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        client = APIClient()
        client.force_authenticate(requester)
        middle = max(1, args.workers // 100)
        for label, params in (("page 1", {}), (f"page {middle}", {"page": middle})):
            ms, queries, body = timed(client, "/api/v1/workforce/workers/", params)
            print(
                f"worker list (requester, {body['count']} workers) {label}: {ms:.0f} ms, "
                f"{queries} queries (reference < {TARGET_MS} ms)"
            )
        client.force_authenticate(staff)
        ms, queries, body = timed(client, "/api/v1/workforce/quality-actions/", {"status": "all"})
        print(f"staff queue page 1: {ms:.0f} ms, {queries} queries (reference < {TARGET_MS} ms)")
        depth, cursor = 1, ""
        while body["next"] and depth < 21:  # walk up to 20 pages deep
            cursor = body["next"].split("cursor=")[1].split("&")[0]
            body = client.get(
                "/api/v1/workforce/quality-actions/", {"status": "all", "cursor": cursor}
            ).json()
            depth += 1
        ms, queries, _ = timed(
            client, "/api/v1/workforce/quality-actions/", {"status": "all", "cursor": cursor}
        )
        print(
            f"staff queue page {depth}: {ms:.0f} ms, {queries} queries (reference < {TARGET_MS} ms)"
        )
    finally:
        connection.close()
        creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
