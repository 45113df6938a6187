"""Workers' Stripe Connect Express accounts: create once, onboard on Stripe's hosted pages,
mirror ``payouts_enabled`` (on return from onboarding and on the ``account.updated`` webhook).

Stripe Connect is available when a Stripe secret key is configured; without one (the demo)
workers are paid by the manual bank-transfer method only.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from config.errors import DomainError
from payments import stripe_client
from payments.models import PayoutAccount


class ConnectError(DomainError):
    """A refused or failed Connect operation; the message is for the worker."""

    code, http_status = "connect_unavailable", 409


def connect_available() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def payout_account_for(*, worker: User) -> PayoutAccount | None:
    return PayoutAccount.objects.filter(worker=worker).first()


def _account_create(worker: User) -> PayoutAccount:
    """The worker's account row, creating the Stripe account first if needed. The creation key
    is the worker's id, so a second click (or a crash before our insert) finds the same account
    at Stripe instead of opening another."""
    existing = payout_account_for(worker=worker)
    if existing is not None:
        return existing
    account = stripe_client.connect_account_create(
        email=worker.email,
        metadata={"worker_id": str(worker.pk)},
        idempotency_key=f"quorum-connect-account-{worker.pk}",
    )
    try:
        with transaction.atomic():
            return PayoutAccount.objects.create(
                worker=worker,
                provider_account_id=account.id,
                payouts_enabled=account.payouts_enabled,
                details_submitted=account.details_submitted,
            )
    except IntegrityError:  # a concurrent request stored it first
        return PayoutAccount.objects.get(worker=worker)


def payout_account_onboarding_link(*, worker: User, return_url: str, refresh_url: str) -> str:
    """The Stripe-hosted onboarding URL to send the worker to (it expires within minutes)."""
    if not worker.is_worker:
        raise ConnectError("Only workers connect payout accounts.")
    if not connect_available():
        raise ConnectError("Stripe payouts are not available here; use the bank transfer method.")
    try:
        account = _account_create(worker)
        return stripe_client.account_link_create(
            account_id=account.provider_account_id, refresh_url=refresh_url, return_url=return_url
        )
    except stripe_client.ProviderError as error:
        raise ConnectError(f"Stripe could not start onboarding: {error}") from error


@transaction.atomic
def payout_account_refresh(*, provider_account_id: str) -> PayoutAccount | None:
    """Copy Stripe's current state of the account (events may be stale: re-fetch)."""
    account = (
        PayoutAccount.objects.select_for_update()
        .filter(provider_account_id=provider_account_id)
        .first()
    )
    if account is None:
        return None
    remote = stripe_client.connect_account_retrieve(provider_account_id)
    account.payouts_enabled = remote.payouts_enabled
    account.details_submitted = remote.details_submitted
    account.refreshed_at = timezone.now()
    account.save(update_fields=["payouts_enabled", "details_submitted", "refreshed_at"])
    return account


def payout_account_refresh_for(*, worker: User) -> PayoutAccount | None:
    account = payout_account_for(worker=worker)
    if account is None:
        return None
    try:
        return payout_account_refresh(provider_account_id=account.provider_account_id)
    except stripe_client.ProviderError as error:
        raise ConnectError(f"Stripe could not be asked about your account: {error}") from error
