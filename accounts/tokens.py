"""API tokens for scripts: issued for an email and password, expiring, rotated at each login,
revocable (issue 12, finding 3).

One login limit for every login path: the token endpoint counts failed attempts with allauth's
own ``login_failed`` limits (per client address and per account, ``ACCOUNT_RATE_LIMITS``), the
same counters the login page uses, and ``/admin/login/`` goes through the login page. Where the
site requires a verified email (``ACCOUNT_EMAIL_VERIFICATION = "mandatory"``), no token is
issued to an unverified one. Each login replaces the user's token (DRF keeps one per user), so
a leaked token dies at the next login, at its expiry (``API_TOKEN_TTL_SECONDS``) or when revoked.
"""

from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from allauth.core import ratelimit
from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from rest_framework.authtoken.models import Token

from accounts.authentication import forget_token
from accounts.models import User
from config.errors import DomainError


class LoginRefused(DomainError):
    code, http_status = "invalid_credentials", 401


class LoginThrottled(DomainError):
    code, http_status = "too_many_failed_logins", 429


class EmailNotVerified(DomainError):
    code, http_status = "email_unverified", 403


def token_expires_at(token: Token) -> datetime:
    return token.created + timedelta(seconds=settings.API_TOKEN_TTL_SECONDS)


def token_issue(*, request, email: str, password: str) -> Token:
    """A fresh token for the account, replacing the one it had. Raises ``LoginThrottled``
    before checking the password when the address or the account failed too often,
    ``LoginRefused`` (and counts the failure) for a wrong pair or an inactive user, and
    ``EmailNotVerified`` where verification is mandatory."""
    email = email.strip().lower()
    if not ratelimit.consume(request, action="login_failed", key=email, dry_run=True):
        raise LoginThrottled("Too many failed logins; wait a few minutes and try again.")
    user = authenticate(request, username=email, password=password)
    if user is None or not user.is_active:
        ratelimit.consume(request, action="login_failed", key=email)
        raise LoginRefused("Email or password is wrong.")
    if settings.ACCOUNT_EMAIL_VERIFICATION == "mandatory" and not _email_verified(user):
        raise EmailNotVerified("Confirm your email address first (see the email we sent).")
    ratelimit.clear(request, action="login_failed", key=email)
    with transaction.atomic():
        for old in Token.objects.select_for_update().filter(user=user):
            forget_token(old.key)
            old.delete()
        return Token.objects.create(user=user)


def token_revoke(*, user: User) -> None:
    """Delete the user's token; requests with it fail from now on."""
    for token in Token.objects.filter(user=user):
        forget_token(token.key)
        token.delete()


def _email_verified(user: User) -> bool:
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()
