"""The tenancy sweep: every route of ours that takes an object id, generated from the URL conf,
called by everyone who must not reach the object behind it.

One world is built per module: organisation A (a requester, a project with a task, an import, a
qualification test with a requirement, a quality action) and a worker of A's (an assignment on
A's project, an attempt at A's test, a payout). Then each route with an id is called with A's ids,
with every method its view allows and an empty body (the scope check must come before the
validation of the body), as:

- a requester of organisation B: 403 or 404, never a 2xx, a redirect or a 5xx;
- another worker, who owns nothing of A's: 403 or 404 (except the routes that any worker may
  open, listed in ``ANY_WORKER_MAY_OPEN`` with the reason);
- nobody (anonymous): 401/403 from the API, a redirect to the login page from the pages.

And a control: someone entitled (A's requester, A's worker or staff) reaches each route's object,
so a 404 above means "not yours", not "the builder made the wrong object".

A route whose URL takes a keyword this module has no builder for fails
``test_every_url_keyword_has_a_builder``: a new endpoint gets swept the day it is added, and the
only work is one line in ``ID_BUILDERS`` (tests/security/world.py) or ``FIXED_KWARGS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from tests.security.world import ID_BUILDERS, World, build_world

# --- The URL conf, walked -----------------------------------------------------------------------

# Apps whose routes are swept: ours. Django's admin (staff only, Django's own permission checks),
# allauth (its URL keys are e-mail and password-reset tokens, not object ids) and
# drf-spectacular's schema pages are not.
OUR_MODULES = ("accounts.", "marketplace.", "payments.", "workers.", "config.")
API_METHODS = ("get", "post", "put", "patch", "delete")
PAGE_METHODS = ("get", "post")


@dataclass(frozen=True)
class Route:
    name: str  # namespace:url_name
    pattern: str  # the route as written, e.g. api/v1/projects/<int:project_id>/
    kwargs: tuple[str, ...]
    default_args: tuple[tuple[str, object], ...]
    methods: tuple[str, ...]
    is_api: bool

    def __str__(self):
        return self.name


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace or ""
            joined = ":".join(part for part in (namespace, inner) if part)
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), joined)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), namespace, entry


def _routes() -> list[Route]:
    routes = []
    for pattern, namespace, entry in _walk(get_resolver().url_patterns):
        callback = entry.callback
        if not getattr(callback, "__module__", "").startswith(OUR_MODULES):
            continue
        view_class = getattr(callback, "cls", None)  # DRF APIView.as_view()
        if view_class is not None:
            methods = tuple(m for m in API_METHODS if hasattr(view_class, m))
        else:
            methods = PAGE_METHODS  # function views: a method they refuse answers 405
        routes.append(
            Route(
                name=f"{namespace}:{entry.name}",
                pattern=pattern,
                kwargs=tuple(re.findall(r"<(?:\w+:)?(\w+)>", pattern)),
                default_args=tuple(sorted((entry.default_args or {}).items())),
                methods=methods,
                is_api=pattern.startswith("api/"),
            )
        )
    return routes


ROUTES = _routes()

# --- What goes into the URL --------------------------------------------------------------------


# URL keywords that are not object ids: the value each route gets (one of its real actions).
FIXED_KWARGS = {
    "action": {
        "api:project_action": "publish",
        "marketplace:project_action": "publish",
        "api:staff_payout_action": "approve",
    },
}

# Routes with an id that any worker may open: the object is on offer to every worker.
ANY_WORKER_MAY_OPEN = {
    "workers:workspace": "an active project's workspace is on offer to every worker "
    "(eligibility is checked when the worker claims a task)",
    "workers:task_next": "asks for the next task of an active project, like the workspace",
    "workers:qualification_detail": "active qualification tests are on offer to every worker",
    "workers:qualification_start": "any worker may take an active qualification test",
    "workers:qualification_request": "any worker may ask for a requested qualification",
    "api:qualification_detail": "a worker reads an active test's description (GET only)",
    "api:qualification_attempt_start": "any worker may take an active qualification test",
    "api:qualification_request": "any worker may ask for a requested qualification",
    "api:project_eligibility": "a worker asks whether they may work on an active project",
}
# Routes anyone may call without signing in (the anonymous sweep skips them).
PUBLIC = {
    ":landing": "the landing page",
    "api:auth_token": "where API clients sign in",
    "payments:stripe_webhook": "Stripe calls it; the signature is the authentication",
    "marketplace:file_formats": "documentation of the import formats",
}


def _missing_kwargs(route: Route) -> list[str]:
    return [
        kwarg
        for kwarg in route.kwargs
        if kwarg not in ID_BUILDERS and route.name not in FIXED_KWARGS.get(kwarg, {})
    ]


def _url(route: Route, world: World) -> str:
    values = {}
    for kwarg in route.kwargs:
        if kwarg in ID_BUILDERS:
            values[kwarg] = ID_BUILDERS[kwarg](world)
        else:
            values[kwarg] = FIXED_KWARGS[kwarg][route.name]
    url = "/" + route.pattern
    for kwarg, value in values.items():
        url = re.sub(rf"<(?:\w+:)?{kwarg}>", str(value), url)
    return url


ID_ROUTES = [route for route in ROUTES if route.kwargs and not _missing_kwargs(route)]


# --- The world: built once for the module, rolled back after it -------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """One database setup for the whole sweep, inside a transaction rolled back at the end; each
    test runs in a savepoint inside it (pytest-django's ``db``), so what a call changes is undone
    before the next."""
    media = tmp_path_factory.mktemp("sweep-media")
    with (
        override_settings(MEDIA_ROOT=str(media)),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _media_in_tmp():
    """Overrides the per-test media folder of tests/conftest.py: the world's import files are
    in the module's folder (set by ``world``)."""


def _call(route: Route, method: str, url: str, user):
    if route.is_api:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return getattr(client, method)(url, {}, format="json")
    client = Client()
    if user is not None:
        client.force_login(user)
    return getattr(client, method)(url, {})


def _describe(route, method, url, response):
    return f"{method.upper()} {url} ({route.name}) -> {response.status_code}"


# --- The sweep ---------------------------------------------------------------------------------


def test_every_url_keyword_has_a_builder():
    """A route of ours whose URL takes a keyword the sweep cannot fill is not swept: fail, and
    say where to add it."""
    missing = {route.name: _missing_kwargs(route) for route in ROUTES if _missing_kwargs(route)}
    assert not missing, (
        f"Routes the tenancy sweep cannot fill: {missing}. Add a builder for each id to "
        "ID_BUILDERS in tests/security/world.py (an object owned by organisation "
        "A, or by A's worker), or the value of a non-id keyword to FIXED_KWARGS."
    )


def test_the_exception_lists_name_only_real_routes():
    names = {route.name for route in ROUTES}
    assert set(ANY_WORKER_MAY_OPEN) <= names
    assert set(PUBLIC) <= names


@pytest.mark.parametrize("route", ID_ROUTES, ids=str)
def test_another_organisations_requester_is_refused(db, world, route):
    url = _url(route, world)
    wrong = []
    for method in route.methods:
        response = _call(route, method, url, world.requester_b)
        if response.status_code not in (403, 404, 405):
            wrong.append(_describe(route, method, url, response))
    assert not wrong, f"Organisation B's requester reached organisation A's objects: {wrong}"


@pytest.mark.parametrize(
    "route", [r for r in ID_ROUTES if r.name not in ANY_WORKER_MAY_OPEN], ids=str
)
def test_a_worker_who_owns_nothing_is_refused(db, world, route):
    url = _url(route, world)
    wrong = []
    for method in route.methods:
        response = _call(route, method, url, world.other_worker)
        if response.status_code not in (403, 404, 405):
            wrong.append(_describe(route, method, url, response))
    assert not wrong, f"A worker reached someone else's objects: {wrong}"


@pytest.mark.parametrize("route", [r for r in ROUTES if r.name not in PUBLIC], ids=str)
def test_nobody_signed_out_gets_in(db, world, route):
    url = _url(route, world) if route.kwargs and not _missing_kwargs(route) else None
    if url is None and route.kwargs:
        pytest.skip("no builder: test_every_url_keyword_has_a_builder fails for it")
    url = url or "/" + route.pattern
    wrong = []
    for method in route.methods:
        response = _call(route, method, url, None)
        if route.is_api:
            refused = response.status_code in (401, 403, 405)
        else:
            refused = response.status_code == 405 or (
                response.status_code == 302 and "/accounts/login/" in response["Location"]
            )
        if not refused:
            wrong.append(_describe(route, method, url, response))
    assert not wrong, f"Reached without signing in: {wrong}"


@pytest.mark.parametrize("route", ID_ROUTES, ids=str)
def test_someone_entitled_reaches_the_object(db, world, route):
    """The control: A's requester, A's worker or staff gets past the scope check (no 404, no
    403), so the refusals above are about whose object it is."""
    url = _url(route, world)
    seen = []
    for user in (world.requester_a, world.worker_a, world.staff):
        for method in route.methods:
            with transaction.atomic():
                response = _call(route, method, url, user)
                transaction.set_rollback(True)
            assert response.status_code < 500, _describe(route, method, url, response)
            if response.status_code not in (403, 404, 405):
                return
            seen.append(f"{user.role} " + _describe(route, method, url, response))
    pytest.fail(f"Nobody entitled reaches the sweep's object, so the sweep proves nothing: {seen}")
