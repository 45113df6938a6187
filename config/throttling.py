"""One throttle for every API endpoint: per user and per client address, in fixed windows.

DRF's own rate throttles keep a list of request times per client in the cache and rewrite it
on every request (6,000 entries a minute for a busy worker); here each scope is one Redis
counter per window, and all of a request's scopes are counted in one pipelined round trip, so
the claim/submit hot path pays one cache call. Rates come from settings
(``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``: ``user`` per signed-in user, ``anon`` per address
for anonymous calls, ``address`` per address for every call); an empty rate turns a scope off.
The client address is DRF's ``get_ident``: ``REMOTE_ADDR``, or the ``X-Forwarded-For`` entry
``NUM_PROXIES`` hops from the right when the app runs behind that many trusted proxies — never
a raw header a client can set.
"""

import time

from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str | None) -> tuple[int, int] | None:
    """``"6000/min"`` → ``(6000, 60)``; empty → None (no limit)."""
    if not rate:
        return None
    count, period = rate.split("/")
    return int(count), _PERIODS[period.strip()[0]]


def _count(keys: list[tuple[str, int]]) -> list[int]:
    """Add one to each counter (created with its window's expiry) and return the new values."""
    backend = getattr(cache, "_cache", None)
    if hasattr(backend, "get_client"):  # Redis: one round trip for every scope
        pipe = backend.get_client(write=True).pipeline(transaction=False)
        for key, period in keys:
            real_key = cache.make_and_validate_key(key)
            pipe.incr(real_key)
            pipe.expire(real_key, period + 1, nx=True)
        return pipe.execute()[::2]
    counts = []
    for key, period in keys:
        cache.add(key, 0, period + 1)
        counts.append(cache.incr(key))
    return counts


class RequestRateThrottle(BaseThrottle):
    def __init__(self):
        self._wait = None

    def _scopes(self, request) -> list[tuple[str, str]]:
        address = self.get_ident(request)
        user = getattr(request, "user", None)
        scopes = [("address", address)]
        if user is not None and user.is_authenticated:
            scopes.append(("user", str(user.pk)))
        else:
            scopes.append(("anon", address))
        return scopes

    def allow_request(self, request, view) -> bool:
        rates = api_settings.DEFAULT_THROTTLE_RATES
        now = time.time()
        keys, limits = [], []
        for scope, ident in self._scopes(request):
            parsed = parse_rate(rates.get(scope))
            if parsed is None:
                continue
            allowed, period = parsed
            keys.append((f"throttle:{scope}:{ident}:{int(now // period)}", period))
            limits.append((allowed, period))
        if not keys:
            return True
        for count, (allowed, period) in zip(_count(keys), limits, strict=True):
            if count > allowed:
                self._wait = period - now % period
                return False
        return True

    def wait(self) -> float | None:
        return self._wait
