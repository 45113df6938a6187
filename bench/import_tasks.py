"""Import benchmark: a generated CSV of N rows (default 1,000,000) imported into PostgreSQL
through the product's own path (import_start → Celery task → streaming parser → COPY).

    .venv/bin/python bench/import_tasks.py [--rows 1000000] [--gold-every 10]

Prints the figures beside the target (≥ 50,000 rows/s, memory flat in the file size), then one
final line: ``import: rows=… seconds=… rows_per_s=… peak_rss_mb=…``. Uses its own database
(``quorum_bench_import``, created and migrated if missing) so it never touches test or demo data.
"""

import argparse
import csv
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET_ROWS_PER_S = 50_000
BENCH_DATABASE = "quorum_bench_import"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup_django(media_root: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{BENCH_DATABASE}"
    os.environ["MEDIA_ROOT"] = media_root
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        exists = db.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DATABASE]
        ).fetchone()
        if not exists:
            db.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def write_csv(path: Path, rows: int, gold_every: int) -> None:
    labels = ("cat", "dog", "bird")
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["external_id", "text", "gold_answer"])
        for number in range(rows):
            gold = labels[number % 3] if number % gold_every == 0 else ""
            out.writerow([f"item-{number}", f"Photo {number}: an animal in a garden", gold])


def time_pages(project, requester) -> dict[str, float]:
    """Wall time of the requester's pages over the imported project, best of three."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(requester)
    urls = {
        "dashboard": "/requester/",
        "project page": f"/requester/projects/{project.pk}/",
        "tasks page 1": f"/requester/projects/{project.pk}/tasks/",
        "tasks API page": f"/api/v1/projects/{project.pk}/tasks/",
    }
    timings = {}
    for name, url in urls.items():
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            response = client.get(url)
            best = min(best, time.perf_counter() - started)
            assert response.status_code == 200, (url, response.status_code)
        timings[name] = best * 1000
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--gold-every", type=int, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        setup_django(folder)
        from django.core.files.uploadedfile import UploadedFile

        from accounts.models import Role
        from accounts.services import user_create
        from marketplace.models import ImportBatch, Task
        from marketplace.services.imports import import_start
        from marketplace.services.projects import project_create

        source = Path(folder) / "tasks.csv"
        write_csv(source, args.rows, args.gold_every)
        size_mb = source.stat().st_size / 2**20
        requester = user_create(
            email=f"bench-{time.time_ns()}@example.com",
            password="x",
            role=Role.REQUESTER,
            organisation_name="Bench",
        )
        project = project_create(
            account=requester.requester_account,
            created_by=requester,
            title="Import benchmark",
            template_type="classification",
            label_config={"labels": [{"value": v} for v in ("cat", "dog", "bird")]},
            reward_cents=5,
        )
        rss_before = rss_mb()
        started = time.perf_counter()
        with source.open("rb") as handle:
            batch = import_start(
                project=project,
                uploaded_by=requester,
                upload=UploadedFile(handle, name="tasks.csv", size=source.stat().st_size),
            )
        batch = ImportBatch.objects.get(pk=batch.pk)  # the background task has run (eager)
        seconds = time.perf_counter() - started
        stored = Task.objects.filter(project=project).count()
        peak = rss_mb()
        if batch.status != "succeeded" or stored != args.rows:
            sys.exit(f"import failed: status={batch.status} stored={stored} {batch.error_message}")
        page_ms = time_pages(project, requester)
        # Keep the bench database small (raw delete: no per-row signals to collect).
        Task.objects.filter(project=project)._raw_delete(Task.objects.db)
        rate = args.rows / seconds
        print(f"file: {args.rows:,} rows, {size_mb:.0f} MB, gold every {args.gold_every}th row")
        print(f"stored: {stored:,} tasks, {batch.gold_accepted:,} gold; status {batch.status}")
        print(
            f"speed: {rate:,.0f} rows/s vs target {TARGET_ROWS_PER_S:,} rows/s "
            f"(ratio {rate / TARGET_ROWS_PER_S:.2f})"
        )
        print(
            f"memory: peak RSS {peak:.0f} MB, {rss_before:.0f} MB before the import "
            f"(+{peak - rss_before:.0f} MB for a {size_mb:.0f} MB file)"
        )
        print(
            "pages at this size: "
            + ", ".join(f"{name} {ms:.0f} ms" for name, ms in page_ms.items())
            + " (target: dashboards that do not count over the task table)"
        )
        print(
            f"import: rows={args.rows} seconds={seconds:.2f} rows_per_s={rate:.0f} "
            f"peak_rss_mb={peak:.0f}"
        )


if __name__ == "__main__":
    main()
