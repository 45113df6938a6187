import os
from pathlib import Path

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.authentication import _local as token_cache
from accounts.models import Role
from accounts.services import user_create

# Playwright's sync API keeps an event loop running in the main thread; Django would otherwise
# refuse ORM calls from test code while it runs.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's chromium: Playwright cannot download its own browser here."""
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(autouse=True)
def _empty_cache():
    """The cache is a real Redis; rate-limit counters and cached tokens must not leak from one
    test to the next (nor the per-process token cache in front of it)."""
    cache.clear()
    token_cache.clear()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files (imports) go to a per-test folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def make_user(db):
    counter = iter(range(1, 10_000))

    def make(role=Role.WORKER, email=None, organisation="Org A", requester_account=None):
        number = next(counter)
        return user_create(
            email=email or f"{role}{number}@example.com",
            password=PASSWORD,
            role=role,
            organisation_name=organisation,
            requester_account=requester_account,
        )

    return make


@pytest.fixture
def requester(make_user):
    return make_user(Role.REQUESTER, email="req@a.example.com", organisation="Org A")


@pytest.fixture
def other_requester(make_user):
    return make_user(Role.REQUESTER, email="req@b.example.com", organisation="Org B")


@pytest.fixture
def worker(make_user):
    return make_user(Role.WORKER, email="worker@example.com")


@pytest.fixture
def staff_user(make_user):
    return make_user(Role.STAFF, email="staff@example.com")


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def celery_worker(django_db_blocker):
    """A real Celery worker thread consuming the test broker (Redis); tasks stop running eagerly
    while it is up. Use with ``django_db(transaction=True)`` so the worker sees committed rows."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    app.conf.task_always_eager = False
    try:
        with (
            django_db_blocker.unblock(),
            start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as worker,
        ):
            yield worker
    finally:
        app.conf.task_always_eager = True
