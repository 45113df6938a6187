"""schemathesis against the OpenAPI schema (``/api/schema/``): every operation, called by a
requester, a worker and staff with generated valid and invalid input, answers without a 5xx and
with a body that matches the schema.

In process (the WSGI application, the test's database transaction), with a fixed seed
(``derandomize``) and a bounded number of examples per operation and role, so the run is the
same on every machine and fits the CI time (FUZZ_EXAMPLES, default 4; raise it locally for a
deeper run: ``FUZZ_EXAMPLES=50 pytest tests/security/test_api_fuzzing.py``).
"""

import os
from contextlib import contextmanager

import pytest
import schemathesis
from allauth.account.models import EmailAddress
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import Client, override_settings
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from accounts.models import Role
from tests.security.world import ID_BUILDERS, PASSWORD, build_world

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture(autouse=True)
def _no_throttling(settings):
    """The fuzzer calls each operation many times in a second: throttles would turn its calls
    into 429s and hide what it looks for (the throttles have their own tests)."""
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {
        scope: "100000/min" for scope in rest.get("DEFAULT_THROTTLE_RATES", {})
    }
    settings.REST_FRAMEWORK = rest


@contextmanager
def _keeping_the_test_connection():
    """The WSGI handler closes the database connection around each request (Django's test
    client turns that off for its own requests, then on again; schemathesis calls the bare
    application): keep it, it holds the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The sweep's world (tests/security/world.py), once for the module, rolled back after it;
    each test runs in a savepoint inside it, so what one operation's calls change is undone."""
    with (
        override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("fuzz-media"))),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        world = build_world()
        for user in (world.requester_a, world.worker_a, world.staff):
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        yield world
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _media_in_tmp():
    """Overrides tests/conftest.py's per-test media folder: the world's files are in its own."""


@pytest.fixture
def auth_headers(db, world):
    """Headers per role, with API tokens from ``POST /api/v1/auth/token/``: organisation A's
    requester, A's worker, staff."""
    headers = {}
    client = Client()
    users = {
        Role.REQUESTER: world.requester_a,
        Role.WORKER: world.worker_a,
        Role.STAFF: world.staff,
    }
    for role, user in users.items():
        response = client.post(
            "/api/v1/auth/token/",
            {"email": user.email, "password": PASSWORD},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        headers[role] = {"Authorization": f"Token {response.json()['token']}"}
    return headers


ROLES = (Role.REQUESTER, Role.WORKER, Role.STAFF)
# Per operation, the first role that gets past its permission check (found on its first case).
_entitled: dict[tuple[str, str], str] = {}


def _call(case, headers):
    with _keeping_the_test_connection():
        return case.call_and_validate(
            headers=headers, checks=[not_a_server_error, response_schema_conformance]
        )


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_without_server_errors_and_as_documented(case, auth_headers, world):
    """The coverage phase (schemathesis' deterministic boundary and wrong-type values for every
    field, several hundred cases for a large body) runs as the role the operation is for: the
    other roles stop at the permission check, before any of that input is read. The generated
    cases run as every role."""
    operation = (case.method, case.path)
    if operation not in _entitled:
        for role in ROLES:
            if _call(case, auth_headers[role]).status_code != 403:
                _entitled[operation] = role
                break
        else:
            _entitled[operation] = ROLES[0]
        return
    if case.meta is not None and case.meta.phase.name.value == "coverage":
        _call(case, auth_headers[_entitled[operation]])
    else:
        # Generated ids almost never exist: the generated bodies go to the world's real objects
        # (the coverage phase above keeps its odd ids: 0, -1, huge, strings).
        for name in case.path_parameters or {}:
            if name in ID_BUILDERS:
                case.path_parameters[name] = ID_BUILDERS[name](world)
        for role in ROLES:
            _call(case, auth_headers[role])
