import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.celery import app
from config.env import env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parents[2]


def test_celery_reliability_settings_are_on():
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == "json"
    assert conf.result_serializer == "json"
    assert list(conf.accept_content) == ["json"]
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit


def test_broker_visibility_timeout_is_above_every_countdown():
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    assert visibility > settings.CELERY_MAX_COUNTDOWN_SECONDS
    # Retries back off up to an hour (accounts.tasks); that must stay under the ceiling too.
    assert settings.CELERY_MAX_COUNTDOWN_SECONDS >= 3600


def test_beat_uses_the_database_scheduler():
    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"


def test_tests_run_on_postgresql_and_redis():
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")


def test_env_reader_rejects_values_it_cannot_read(monkeypatch):
    monkeypatch.setenv("QUORUM_FLAG", "maybe")
    monkeypatch.setenv("QUORUM_NUMBER", "ten")
    monkeypatch.setenv("QUORUM_HOSTS", "a.example.com, b.example.com,")
    with pytest.raises(ImproperlyConfigured, match="QUORUM_FLAG"):
        env_bool("QUORUM_FLAG", False)
    with pytest.raises(ImproperlyConfigured, match="QUORUM_NUMBER"):
        env_int("QUORUM_NUMBER", 1)
    assert env_list("QUORUM_HOSTS", []) == ["a.example.com", "b.example.com"]


def run_manage(*args, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env(**extra):
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
        "ALLOWED_HOSTS": "quorum.example.com",
        **extra,
    }


def test_production_settings_pass_the_deploy_check():
    result = run_manage("check", "--deploy", **production_env())
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env()
    del env["SECRET_KEY"]
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_production_makes_email_verification_mandatory():
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.ACCOUNT_EMAIL_VERIFICATION)",
        **production_env(),
    )
    assert result.stdout.strip() == "mandatory", result.stderr


def test_the_openapi_schema_generates_without_warnings(tmp_path):
    result = run_manage(
        "spectacular",
        "--fail-on-warn",
        "--validate",
        "--file",
        str(tmp_path / "schema.yaml"),
        DJANGO_SETTINGS_MODULE="config.settings.test",
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("settings_module", "database_url"),
    [("config.settings.production", None), ("config.settings.local", "sqlite:///db.sqlite3")],
    ids=["production-unset", "demo-sqlite"],
)
def test_settings_refuse_to_start_without_postgresql(settings_module, database_url):
    env = {"DJANGO_SETTINGS_MODULE": settings_module}
    if database_url:
        env["DATABASE_URL"] = database_url
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "Quorum needs PostgreSQL" in result.stderr
    assert "./scripts/run.sh" in result.stderr


@pytest.mark.parametrize("module", ["config.wsgi", "config.asgi", "config.celery"])
def test_servers_and_workers_refuse_to_start_without_a_settings_module(module):
    """No silent fall-back to the demo's settings (DEBUG, the dev key) on a server."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    started = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode != 0
    assert "Set DJANGO_SETTINGS_MODULE" in started.stderr


def test_the_demo_settings_default_to_the_embedded_server_and_need_no_database_to_check():
    """``manage.py`` with no DATABASE_URL (the demo's settings) points at the embedded server's
    socket in .pgdata/; a command that needs no database works even when it is not running."""
    from config.embedded_postgres import DEFAULT_DATA_DIR, DEFAULT_DATABASE
    from config.settings.local import EMBEDDED_DATA_DIR

    assert EMBEDDED_DATA_DIR == DEFAULT_DATA_DIR and DEFAULT_DATABASE == "quorum"
    result = run_manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout
