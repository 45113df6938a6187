"""API token authentication with the token → user lookup served from Django's cache (Redis).

DRF's TokenAuthentication reads the token and its user from the database on every request; on
the allocation hot path (claim, submit) that doubled the SQL per request. This class caches, per
token, the user id and the few fields permission checks read (role, is_active, is_staff) for
``CACHE_SECONDS``, and builds a User whose other fields load from the database on first access.

Consequence: a deleted token, a deactivated user or a changed role is noticed by the API within
``CACHE_SECONDS``. The allocation statements re-check ``is_active`` and the role in SQL, so claim
and submit see such a change at once.
"""

import hashlib
import time

from django.core.cache import cache
from django.db import router
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from accounts.models import User

CACHE_SECONDS = 60
# A second, per-process layer in front of Redis: building a Redis client and a round trip cost
# more than the rest of a claim. Kept short so a revoked token dies quickly in every process.
LOCAL_SECONDS = 10
LOCAL_MAX_ENTRIES = 10_000
_local: dict[str, tuple[float, list]] = {}
# In the model's field order, as ``Model.from_db`` expects.
_FIELDS = tuple(
    field.attname
    for field in User._meta.concrete_fields
    if field.attname in {"id", "role", "is_active", "is_staff", "is_superuser"}
)


def _cache_key(key: str) -> str:
    # Hash the secret: cache keys are visible to anyone who can list Redis.
    return "auth:token:" + hashlib.sha256(key.encode()).hexdigest()


def forget_token(key: str) -> None:
    """Drop a token from the cache at once (call when revoking it). Other processes forget it
    within ``LOCAL_SECONDS``."""
    cache.delete(_cache_key(key))
    _local.pop(_cache_key(key), None)


def _cached_values(cache_key: str) -> list | None:
    now = time.monotonic()
    hit = _local.get(cache_key)
    if hit is not None and hit[0] > now:
        return hit[1]
    values = cache.get(cache_key)
    if values is not None:
        _remember(cache_key, values, now)
    return values


def _remember(cache_key: str, values: list, now: float) -> None:
    if len(_local) >= LOCAL_MAX_ENTRIES:
        _local.clear()  # crude but bounded; entries are cheap to rebuild
    _local[cache_key] = (now + LOCAL_SECONDS, values)


class CachedTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``, as TokenAuthentication, with the lookup cached."""

    def authenticate_credentials(self, key):
        cache_key = _cache_key(key)
        values = _cached_values(cache_key)
        if values is None:
            token = Token.objects.select_related("user").filter(key=key).first()
            if token is None:
                raise exceptions.AuthenticationFailed("Invalid token.")
            values = [getattr(token.user, field) for field in _FIELDS]
            cache.set(cache_key, values, CACHE_SECONDS)
            _remember(cache_key, values, time.monotonic())
        user = User.from_db(router.db_for_read(User), list(_FIELDS), list(values))
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return user, Token(key=key, user=user)
