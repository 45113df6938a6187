"""The demo's embedded PostgreSQL (config/embedded_postgres.py), started for real from the wheel."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import psycopg
import pytest

from config import embedded_postgres

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def postgres_processes(data_dir: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = process.info["cmdline"] or []
        if process.info["name"] == "postgres" and str(data_dir) in cmdline:
            found.append(process)
    return found


def test_a_second_start_reuses_the_data_and_stop_leaves_no_process(tmp_path):
    data_dir = tmp_path / "pgdata"

    server = embedded_postgres.start(data_dir)
    try:
        url = embedded_postgres.ensure_database(server)
        with psycopg.connect(url) as conn:
            assert int(conn.execute("SHOW server_version_num").fetchone()[0]) >= 180000
            conn.execute("CREATE TABLE demo (name text)")
            conn.execute("INSERT INTO demo VALUES ('kept')")
    finally:
        embedded_postgres.stop(server)
    assert not psutil.pid_exists(server.pid)
    assert postgres_processes(data_dir) == []

    again = embedded_postgres.start(data_dir)
    try:
        assert again.pid != server.pid
        assert embedded_postgres.ensure_database(again) == url  # no second CREATE DATABASE
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT name FROM demo").fetchall() == [("kept",)]
    finally:
        embedded_postgres.stop(again)
    assert postgres_processes(data_dir) == []


def test_a_data_folder_too_long_for_a_socket_path_still_starts(tmp_path):
    data_dir = tmp_path / ("x" * 60) / ("y" * 60)
    data_dir.parent.mkdir()
    assert len(str(data_dir / ".s.PGSQL.5432")) > 107

    server = embedded_postgres.start(data_dir)
    try:
        with psycopg.connect(embedded_postgres.ensure_database(server)) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        embedded_postgres.stop(server)
    assert postgres_processes(server.data_dir) == []


def test_the_wrapper_hands_the_database_to_its_command_and_stops_the_server_on_sigint(tmp_path):
    """What `./scripts/run.sh` does with no DATABASE_URL, with a command that waits like
    runserver: SIGINT to the wrapper reaches the command, and the server goes with it."""
    data_dir = tmp_path / "pgdata"
    marker = tmp_path / "connected"
    command = (
        "import os, sys, time, psycopg\n"
        "with psycopg.connect(os.environ['DATABASE_URL']) as conn:\n"
        "    conn.execute('SELECT 1')\n"
        f"open({str(marker)!r}, 'w').write(os.environ['DATABASE_URL'])\n"
        "time.sleep(60)\n"
    )
    wrapper_args = ["-m", "config.embedded_postgres", "--data-dir", str(data_dir)]
    wrapper = subprocess.Popen(
        [sys.executable, *wrapper_args, "--", sys.executable, "-c", command],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not marker.exists() and wrapper.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.exists(), wrapper.stdout.read() if wrapper.poll() is not None else "timeout"
        assert f"host={data_dir}" in marker.read_text()
        assert postgres_processes(data_dir)

        wrapper.send_signal(signal.SIGINT)
        assert wrapper.wait(20) == 0
    finally:
        if wrapper.poll() is None:
            wrapper.kill()
    assert "stopping the embedded PostgreSQL" in wrapper.stdout.read()
    assert postgres_processes(data_dir) == []
