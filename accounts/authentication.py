"""API token authentication with the token → user lookup served from Django's cache (Redis).

DRF's TokenAuthentication reads the token and its user from the database on every request; on
the allocation hot path (claim, submit) that doubled the SQL per request. This class caches, per
token, the user id and the few fields permission checks read (role, is_active, is_staff) for
``CACHE_SECONDS``, and builds a User whose other fields load from the database on first access.

With the user's fields it caches whether their access is on hold (``accounts.access``: a
suspended worker), and refuses the token while it is.

Revocation is immediate (docs/security.md, "Suspended workers: no payouts, no tokens"): a change
to a user's role, ``is_active``, ``is_staff`` or ``is_superuser`` (any ``User.save`` that may
touch them, see :func:`user_saved`) and a suspension or its lifting (the workers moderation
service) call :func:`user_tokens_refresh`, which replaces the user's cached entries with a
tombstone, in the changing transaction and again when it commits: for ``CACHE_SECONDS`` every
lookup of those tokens reads the database and nothing re-fills the cache, so a request that read
the old state just before the commit cannot put it back. What is left: another process's
in-memory copy (``LOCAL_SECONDS``, 10 s); the allocation statements re-check ``is_active`` and
the role in SQL, and claims re-check suspensions, so those see a change at once everywhere.
Deleting a token directly calls :func:`forget_token`.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.db import router, transaction
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from accounts.access import access_hold_reasons
from accounts.models import User

CACHE_SECONDS = 60
# Cached instead of a token's values after a change: "read the database, do not cache".
_TOMBSTONE = "refresh"
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
    # Hash the secret: cache keys are visible to anyone who can list Redis. "v3": the values
    # end with the access-hold reason and the token's expiry (epoch seconds).
    return "auth:token:v3:" + hashlib.sha256(key.encode()).hexdigest()


def forget_token(key: str) -> None:
    """Drop a token from the cache at once (call when revoking it): for ``CACHE_SECONDS`` its
    lookups read the database. Other processes forget it within ``LOCAL_SECONDS``."""
    cache.set(_cache_key(key), _TOMBSTONE, CACHE_SECONDS)
    _local.pop(_cache_key(key), None)


def user_tokens_refresh(*, user_id: int) -> None:
    """The user's role, active flag, staff flags or access hold changed (or is changing in the
    caller's transaction): their tokens' next requests read the database. The tombstones are
    written now, so no request re-fills the cache with the old state while the change commits,
    and again on commit, for a transaction that outlives ``CACHE_SECONDS``."""

    def forget() -> None:
        for key in keys:
            forget_token(key)

    keys = list(Token.objects.filter(user_id=user_id).values_list("key", flat=True))
    forget()
    transaction.on_commit(forget)


_WATCHED_FIELDS = frozenset({"role", "is_active", "is_staff", "is_superuser"})


def user_saved(sender, *, instance, update_fields=None, created=False, **kwargs) -> None:
    """``post_save`` of ``User`` (connected in ``AccountsConfig.ready()``): a save that may have
    changed what the token cache keeps refreshes the user's tokens. A save that names only other
    fields (``last_login`` at each login) does not."""
    if created or (update_fields is not None and not _WATCHED_FIELDS & set(update_fields)):
        return
    user_tokens_refresh(user_id=instance.pk)


def _cached_values(cache_key: str) -> list | str | None:
    """The cached values, ``_TOMBSTONE`` or None (not cached)."""
    now = time.monotonic()
    hit = _local.get(cache_key)
    if hit is not None and hit[0] > now:
        return hit[1]
    values = cache.get(cache_key)
    if values is not None and values != _TOMBSTONE:
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
        if values is None or values == _TOMBSTONE:
            token = Token.objects.select_related("user").filter(key=key).first()
            if token is None:
                raise exceptions.AuthenticationFailed("Invalid token.")
            hold = " ".join(access_hold_reasons(user=token.user)) if token.user.is_active else ""
            expires = token.created.timestamp() + settings.API_TOKEN_TTL_SECONDS
            fresh = [*(getattr(token.user, field) for field in _FIELDS), hold, expires]
            # add, not set: a tombstone written meanwhile (or still there) stays.
            if values is None and cache.add(cache_key, fresh, CACHE_SECONDS):
                _remember(cache_key, fresh, time.monotonic())
            values = fresh
        *fields, hold, expires = values
        if time.time() >= expires:
            raise exceptions.AuthenticationFailed(
                "This API token has expired; ask for a new one.", code="token_expired"
            )
        user = User.from_db(router.db_for_read(User), list(_FIELDS), fields)
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        if hold:
            raise exceptions.AuthenticationFailed(
                f"This account's API access is on hold: {hold}", code="access_on_hold"
            )
        return user, Token(key=key, user=user)
