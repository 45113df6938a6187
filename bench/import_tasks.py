"""Import benchmark: a generated CSV of N rows (default 1,000,000) imported into PostgreSQL
through the product's own path (import_start → Celery task → streaming parser → COPY).

    python bench/import_tasks.py [--rows 1000000] [--small-rows 250000] [--gold-every 10]

A 250,000-row file (``--small-rows``) is imported first, so the memory line shows the rise in
peak RSS at both sizes side by side: flat memory rises the same. Prints the figures beside the
target (≥ 50,000 rows/s, memory flat in the file size), then one final line:
``import: rows=… seconds=… rows_per_s=… peak_rss_mb=…``. Uses its own database
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


def import_file(requester, path: Path, rows: int) -> tuple[float, object, object]:
    """Import ``path`` into a new project through the product path: (seconds, batch, project)."""
    from django.core.files.uploadedfile import UploadedFile

    from marketplace.models import ImportBatch, Task
    from marketplace.services.imports import import_start
    from marketplace.services.projects import project_create

    project = project_create(
        account=requester.requester_account,
        created_by=requester,
        title=f"Import benchmark ({rows:,} rows)",
        template_type="classification",
        label_config={"labels": [{"value": v} for v in ("cat", "dog", "bird")]},
        reward_cents=5,
    )
    started = time.perf_counter()
    with path.open("rb") as handle:
        batch = import_start(
            project=project,
            uploaded_by=requester,
            upload=UploadedFile(handle, name=path.name, size=path.stat().st_size),
        )
    batch = ImportBatch.objects.get(pk=batch.pk)  # the background task has run (eager)
    seconds = time.perf_counter() - started
    stored = Task.objects.filter(project=project).count()
    if batch.status != "succeeded" or stored != rows:
        sys.exit(f"import failed: status={batch.status} stored={stored} {batch.error_message}")
    return seconds, batch, project


def drop_tasks(project) -> None:
    """Keep the bench database small (raw delete: no per-row signals to collect)."""
    from marketplace.models import Task

    Task.objects.filter(project=project)._raw_delete(Task.objects.db)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small-rows", type=int, default=250_000)
    parser.add_argument("--gold-every", type=int, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        setup_django(folder)
        from accounts.models import Role
        from accounts.services import user_create

        requester = user_create(
            email=f"bench-{time.time_ns()}@example.com",
            password="x",
            role=Role.REQUESTER,
            organisation_name="Bench",
        )
        files = {}
        for rows in (1_000, args.small_rows, args.rows):
            files[rows] = Path(folder) / f"tasks-{rows}.csv"
            write_csv(files[rows], rows, args.gold_every)
        size_mb = files[args.rows].stat().st_size / 2**20
        # A small import first loads the code paths, so what follows measures the data's cost.
        drop_tasks(import_file(requester, files[1_000], 1_000)[2])
        rss_before = rss_mb()
        # Peak RSS only rises: the small file first, then the big one. Memory that grows with
        # the file shows as a bigger rise at the big file; flat memory as the same rise.
        small_seconds, _, small_project = import_file(
            requester, files[args.small_rows], args.small_rows
        )
        drop_tasks(small_project)
        small_peak = rss_mb()
        seconds, batch, project = import_file(requester, files[args.rows], args.rows)
        peak = rss_mb()
        page_ms = time_pages(project, requester)
        drop_tasks(project)
        rate = args.rows / seconds
        print(f"file: {args.rows:,} rows, {size_mb:.0f} MB, gold every {args.gold_every}th row")
        print(f"stored: {args.rows:,} tasks, {batch.gold_accepted:,} gold; status {batch.status}")
        print(
            f"speed: {rate:,.0f} rows/s vs target {TARGET_ROWS_PER_S:,} rows/s "
            f"(ratio {rate / TARGET_ROWS_PER_S:.2f}); {args.small_rows:,} rows: "
            f"{args.small_rows / small_seconds:,.0f} rows/s"
        )
        print(
            f"memory: +{small_peak - rss_before:.0f} MB at {args.small_rows // 1000}k rows, "
            f"+{peak - rss_before:.0f} MB at {args.rows // 1000}k rows "
            f"(peak RSS {peak:.0f} MB, {rss_before:.0f} MB before; target: the same rise)"
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
