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

from django.core.cache import cache
from django.db import router
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from accounts.models import User

CACHE_SECONDS = 60
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
    """Drop a token from the cache at once (call when revoking it)."""
    cache.delete(_cache_key(key))


class CachedTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``, as TokenAuthentication, with the lookup cached."""

    def authenticate_credentials(self, key):
        cache_key = _cache_key(key)
        values = cache.get(cache_key)
        if values is None:
            token = Token.objects.select_related("user").filter(key=key).first()
            if token is None:
                raise exceptions.AuthenticationFailed("Invalid token.")
            values = [getattr(token.user, field) for field in _FIELDS]
            cache.set(cache_key, values, CACHE_SECONDS)
        user = User.from_db(router.db_for_read(User), list(_FIELDS), list(values))
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return user, Token(key=key, user=user)
