"""A loopback fake of the slice of Stripe's API that Connect payouts use, because no offline
emulator (localstripe included) has Express accounts, account links or transfers.

    python tests/payments/fake_stripe_connect.py --port 12111 [--api-key sk_test_x]

A test tool, not part of the product (it needs aiohttp from requirements-dev.txt); the
product only knows the ``STRIPE_CONNECT_API_BASE`` setting that points the SDK at it.

Stripe's API as the ``stripe`` SDK sees it:

- ``POST /v1/accounts`` (type=express), ``GET /v1/accounts/{id}``, ``POST /v1/account_links``
  (its ``url`` is a hosted-onboarding stand-in: opening it finishes onboarding and redirects to
  ``return_url``), ``POST /v1/transfers``, ``GET /v1/transfers/{id}``, ``GET /v1/transfers``
  (newest first, ``limit``/``starting_after``/``destination``/``created`` as an exact timestamp
  or ``created[gt|gte|lt|lte]``; the SDK's ``auto_paging_iter`` pages through it).
- ``Authorization: Bearer sk_…`` is required (401 otherwise; with ``--api-key``, that key only).
- ``Idempotency-Key`` on POST: the same key with the same parameters replays the first response
  (header ``Idempotent-Replayed: true``); with other parameters it is Stripe's 400
  ``idempotency_error``. Like Stripe, a request refused before it ran (injected 500/429) saves
  nothing under its key.
- Errors are Stripe-shaped: ``{"error": {"type", "code", "message", "param"}}``.

Test controls (not Stripe's): ``POST /_fake/failures`` with JSON ``{"mode": "500"|"429"|
"timeout", "count": N}`` fails the next N API requests, or ``{"rate": 0.2, "modes": [...],
"seed": 1}`` a random share of them; ``timeout`` runs the request, saves it, then answers only
after ``delay`` seconds (default 5), longer than the client waits, which is how a response gets
lost after the money moved. ``POST /_fake/accounts/{id}`` sets ``payouts_enabled`` /
``details_submitted``; ``GET /_fake/transfers`` lists every transfer with the idempotency key it
was created under; ``POST /_fake/transfers/{id}`` with ``{"created": <unix time>}`` backdates
one; ``DELETE /_fake/data`` forgets everything. State lives in memory: the fake outlives the
clients it serves, which is all the crash test needs.
"""

import argparse
import asyncio
import json
import random
import re
import secrets
import time

from aiohttp import web

API_PREFIX = "/v1/"


class StripeError(Exception):
    def __init__(self, status: int, message: str, *, type_="invalid_request_error", **extra):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": type_, "message": message, **extra}}


def _unflatten(pairs) -> dict:
    """``metadata[payout_id]=7`` → ``{"metadata": {"payout_id": "7"}}`` (Stripe's form style)."""
    result: dict = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        target = result
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return result


class State:
    def __init__(self):
        self.reset()

    def reset(self):
        self.accounts: dict[str, dict] = {}
        self.transfers: dict[str, dict] = {}  # insertion order = creation order
        self.transfer_keys: dict[str, str] = {}  # transfer id → idempotency key
        self.links: dict[str, dict] = {}
        self.idempotent: dict[str, tuple[str, dict, int, dict]] = {}
        self.fail_count = 0
        self.fail_mode = "500"
        self.fail_rate = 0.0
        self.fail_modes = ["500"]
        self.delay = 5.0
        self.random = random.Random(0)

    def next_failure(self) -> str | None:
        if self.fail_count > 0:
            self.fail_count -= 1
            return self.fail_mode
        if self.fail_rate and self.random.random() < self.fail_rate:
            return self.random.choice(self.fail_modes)
        return None


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _bool(value) -> bool:
    return str(value).lower() in {"true", "1"}


def _int(params: dict, name: str) -> int:
    raw = params.get(name)
    if raw is None:
        raise StripeError(
            400, f"Missing required param: {name}.", code="parameter_missing", param=name
        )
    try:
        return int(raw)
    except ValueError:
        raise StripeError(
            400, f"Invalid integer: {raw}", code="parameter_invalid_integer", param=name
        ) from None


def _account_get(state: State, account_id: str) -> dict:
    account = state.accounts.get(account_id)
    if account is None:
        raise StripeError(
            404, f"No such account: '{account_id}'", code="resource_missing", param="id"
        )
    return account


def account_create(state: State, params: dict, request: web.Request) -> dict:
    if params.get("type", "express") != "express":
        raise StripeError(400, "This fake creates Express accounts only.", param="type")
    account = {
        "id": _new_id("acct"),
        "object": "account",
        "type": "express",
        "email": params.get("email"),
        "country": params.get("country", "US"),
        "default_currency": "usd",
        "capabilities": {"transfers": "inactive"},
        "charges_enabled": False,
        "payouts_enabled": False,
        "details_submitted": False,
        "metadata": params.get("metadata", {}),
        "created": int(time.time()),
    }
    state.accounts[account["id"]] = account
    return account


def account_link_create(state: State, params: dict, request: web.Request) -> dict:
    account = _account_get(state, params.get("account", ""))
    for name in ("refresh_url", "return_url"):
        if not params.get(name):
            raise StripeError(
                400, f"Missing required param: {name}.", code="parameter_missing", param=name
            )
    token = secrets.token_urlsafe(16)
    state.links[token] = {"account": account["id"], "return_url": params["return_url"]}
    return {
        "object": "account_link",
        "created": int(time.time()),
        "expires_at": int(time.time()) + 300,
        "url": f"{request.scheme}://{request.host}/connect/onboarding/{token}",
    }


def transfer_create(state: State, params: dict, request: web.Request) -> dict:
    amount = _int(params, "amount")
    if amount <= 0:
        raise StripeError(
            400, "Amount must be at least 1 cent.", code="amount_too_small", param="amount"
        )
    if params.get("currency", "").lower() != "usd":
        raise StripeError(400, "Only usd transfers are supported here.", param="currency")
    destination = _account_get(state, params.get("destination", ""))
    if not destination["payouts_enabled"]:
        raise StripeError(
            400,
            "Your destination account needs to have at least one of the following "
            "capabilities enabled: transfers, crypto_transfers, legacy_payments",
            code="insufficient_capabilities_for_transfer",
            param="destination",
        )
    transfer = {
        "id": _new_id("tr"),
        "object": "transfer",
        "amount": amount,
        "amount_reversed": 0,
        "currency": "usd",
        "destination": destination["id"],
        "description": params.get("description"),
        "metadata": params.get("metadata", {}),
        "transfer_group": params.get("transfer_group"),
        "reversed": False,
        "created": int(time.time()),
    }
    state.transfers[transfer["id"]] = transfer
    return transfer


def transfer_retrieve(state: State, transfer_id: str) -> dict:
    transfer = state.transfers.get(transfer_id)
    if transfer is None:
        raise StripeError(
            404, f"No such transfer: '{transfer_id}'", code="resource_missing", param="id"
        )
    return transfer


CREATED_FILTERS = {
    "eq": lambda created, bound: created == bound,
    "gt": lambda created, bound: created > bound,
    "gte": lambda created, bound: created >= bound,
    "lt": lambda created, bound: created < bound,
    "lte": lambda created, bound: created <= bound,
}


def _created_filter(params: dict):
    """Stripe's ``created`` list filter: an exact timestamp, or ``created[gt|gte|lt|lte]``."""
    created = params.get("created")
    bounds = created if isinstance(created, dict) else {"eq": created} if created else {}
    checks = []
    for operator in bounds:
        if operator not in CREATED_FILTERS:
            raise StripeError(
                400, f"Received unknown parameter: created[{operator}]", param="created"
            )
        name = "created" if operator == "eq" else f"created[{operator}]"
        checks.append((CREATED_FILTERS[operator], _int({name: bounds[operator]}, name)))
    return lambda transfer: all(compare(transfer["created"], bound) for compare, bound in checks)


def transfer_list(state: State, query) -> dict:
    """Newest first. Like Stripe, ``starting_after`` is a position in the whole list (the
    object's place), and ``created`` / ``destination`` filter what follows it."""
    params = _unflatten(query.items())
    # Stripe lists newest first: by ``created``, then the later of two made in the same second.
    order = sorted(enumerate(state.transfers.values()), key=lambda n_t: (n_t[1]["created"], n_t[0]))
    transfers = [transfer for _, transfer in reversed(order)]
    if params.get("starting_after"):
        ids = [t["id"] for t in transfers]
        if params["starting_after"] not in ids:
            raise StripeError(
                404, "No such transfer", code="resource_missing", param="starting_after"
            )
        transfers = transfers[ids.index(params["starting_after"]) + 1 :]
    if params.get("destination"):
        transfers = [t for t in transfers if t["destination"] == params["destination"]]
    created = _created_filter(params)
    transfers = [t for t in transfers if created(t)]
    limit = max(1, min(100, _int({"limit": params.get("limit", "10")}, "limit")))
    return {
        "object": "list",
        "url": "/v1/transfers",
        "has_more": len(transfers) > limit,
        "data": transfers[:limit],
    }


CREATE = {
    "accounts": account_create,
    "account_links": account_link_create,
    "transfers": transfer_create,
}


def _json(body: dict, status: int = 200, **headers) -> web.Response:
    headers.setdefault("Request-Id", _new_id("req"))
    return web.Response(
        text=json.dumps(body), status=status, content_type="application/json", headers=headers
    )


def _check_auth(request: web.Request, api_key: str | None) -> None:
    header = request.headers.get("Authorization", "")
    key = header.removeprefix("Bearer ").strip()
    if not key.startswith("sk_") or (api_key and key != api_key):
        shown = key[:8] + "*" * max(0, len(key) - 12) + key[-4:] if key else ""
        raise StripeError(401, f"Invalid API Key provided: {shown}")


async def api(request: web.Request) -> web.Response:
    state: State = request.app["state"]
    try:
        _check_auth(request, request.app["api_key"])
        failure = state.next_failure()
        if failure == "500":
            raise StripeError(500, "An unknown error occurred (injected).", type_="api_error")
        if failure == "429":
            raise StripeError(429, "Too many requests (injected).", code="rate_limit")
        response = await _dispatch(request, state)
    except StripeError as error:
        return _json(error.body, error.status)
    if failure == "timeout":
        await asyncio.sleep(state.delay)  # done and saved; the client has given up by now
    return response


async def _dispatch(request: web.Request, state: State) -> web.Response:
    path = request.path[len(API_PREFIX) :].strip("/").split("/")
    if request.method == "GET":
        if path[0] == "accounts" and len(path) == 2:
            return _json(_account_get(state, path[1]))
        if path[0] == "transfers" and len(path) == 2:
            return _json(transfer_retrieve(state, path[1]))
        if path == ["transfers"]:
            return _json(transfer_list(state, request.query))
    elif request.method == "POST" and len(path) == 1 and path[0] in CREATE:
        params = _unflatten((await request.post()).items())
        key = request.headers.get("Idempotency-Key")
        if key and key in state.idempotent:
            endpoint, first_params, status, body = state.idempotent[key]
            if (endpoint, first_params) != (path[0], params):
                raise StripeError(
                    400,
                    "Keys for idempotent requests can only be used with the same parameters "
                    f"they were first used with. Try using a key other than '{key}' if you "
                    "meant to execute a different request.",
                    type_="idempotency_error",
                )
            return _json(body, status, **{"Idempotent-Replayed": "true", "Idempotency-Key": key})
        try:
            body, status = CREATE[path[0]](state, params, request), 200
        except StripeError as error:
            if error.status >= 500:
                raise
            body, status = error.body, error.status  # Stripe saves the 4xx under the key too
        if key:
            state.idempotent[key] = (path[0], params, status, body)
            if status == 200 and body.get("object") == "transfer":
                state.transfer_keys[body["id"]] = key
        return _json(body, status, **({"Idempotency-Key": key} if key else {}))
    raise StripeError(404, f"Unrecognized request URL ({request.method}: {request.path}).")


async def onboarding(request: web.Request) -> web.Response:
    """The stand-in for Stripe's hosted onboarding: finishing it enables payouts."""
    state: State = request.app["state"]
    link = state.links.get(request.match_info["token"])
    if link is None:
        return web.Response(text="This onboarding link expired.", status=404)
    account = state.accounts[link["account"]]
    account.update(
        details_submitted=True, payouts_enabled=True, capabilities={"transfers": "active"}
    )
    raise web.HTTPFound(link["return_url"])


async def control_failures(request: web.Request) -> web.Response:
    state: State = request.app["state"]
    body = await request.json()
    state.fail_mode = str(body.get("mode", "500"))
    state.fail_count = int(body.get("count", 0))
    state.fail_rate = float(body.get("rate", 0.0))
    state.fail_modes = [str(mode) for mode in body.get("modes", [state.fail_mode])]
    state.delay = float(body.get("delay", state.delay))
    if "seed" in body:
        state.random.seed(body["seed"])
    return _json({"ok": True})


async def control_account(request: web.Request) -> web.Response:
    state: State = request.app["state"]
    account = state.accounts.get(request.match_info["id"])
    if account is None:
        return _json({"error": {"message": "No such account"}}, 404)
    body = await request.json()
    for name in ("payouts_enabled", "details_submitted"):
        if name in body:
            account[name] = _bool(body[name])
    account["capabilities"] = {"transfers": "active" if account["payouts_enabled"] else "inactive"}
    return _json(account)


async def control_transfers(request: web.Request) -> web.Response:
    state: State = request.app["state"]
    return _json(
        {
            "data": [
                {**transfer, "idempotency_key": state.transfer_keys.get(transfer["id"])}
                for transfer in state.transfers.values()
            ]
        }
    )


async def control_transfer(request: web.Request) -> web.Response:
    """Set a transfer's ``created`` (backdating, to test ``created`` filters and windows)."""
    state: State = request.app["state"]
    transfer = state.transfers.get(request.match_info["id"])
    if transfer is None:
        return _json({"error": {"message": "No such transfer"}}, 404)
    body = await request.json()
    if "created" in body:
        transfer["created"] = int(body["created"])
    return _json(transfer)


async def control_reset(request: web.Request) -> web.Response:
    request.app["state"].reset()
    return _json({"ok": True})


def app_create(*, api_key: str | None = None) -> web.Application:
    app = web.Application()
    app["state"] = State()
    app["api_key"] = api_key
    app.router.add_post("/_fake/failures", control_failures)
    app.router.add_post("/_fake/accounts/{id}", control_account)
    app.router.add_get("/_fake/transfers", control_transfers)
    app.router.add_post("/_fake/transfers/{id}", control_transfer)
    app.router.add_delete("/_fake/data", control_reset)
    app.router.add_get("/connect/onboarding/{token}", onboarding)
    app.router.add_route("*", "/v1/{tail:.*}", api)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--api-key", default=None, help="accept only this secret key")
    args = parser.parse_args()
    web.run_app(app_create(api_key=args.api_key), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
