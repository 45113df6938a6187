"""Worker payouts. Two methods, chosen by the worker when asking:

- **manual**: staff export approved payouts as a bank-transfer batch (CSV), send them, then mark
  each paid with the bank's reference;
- **stripe**: approval stores the payout's Stripe idempotency key and queues a Celery task that
  sends one Connect transfer (``payments.services.transfers``); its success marks it paid, a
  definitive refusal marks it failed and gives the money back.

    requested ──approve──▶ approved ──mark paid / transfer──▶ paid
        │  ▲                  │                   └──refused──▶ failed (money back)
        hold └──release hold──┘ (held)
    requested / held (and approved manual) ──cancel──▶ cancelled (money back)

An approved Stripe payout may already be at Stripe, so it can no longer be held or cancelled.

Requesting moves the amount from the worker's payable balance to payouts in flight, under the
account's row lock, so concurrent requests can never spend the same cents twice.
"""

import io

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from config.csv_safe import csv_safe_writer
from config.errors import DomainError
from payments import ledger, money, payout_holds
from payments.models import (
    LedgerAccount,
    Payout,
    PayoutAccount,
    PayoutMethod,
    PayoutStatus,
    TransactionKind,
)
from payments.services import connect, transfers

MIN_PAYOUT_CENTS = 500


class PayoutError(DomainError):
    """A refused payout operation; the message is for the person who asked."""

    code, http_status = "payout_refused", 400


class PayoutHeld(PayoutError):
    """The worker is suspended or deactivated (``payments.payout_holds``): no payout until
    that is lifted."""

    code, http_status = "payouts_held", 403


def _ensure_not_held(worker: User) -> None:
    if reasons := payout_holds.payout_hold_reasons(worker=worker):
        raise PayoutHeld("Payouts are on hold. " + " ".join(reasons))


def payout_method_default(*, worker: User) -> str:
    """Stripe Connect once the worker's account can receive payouts, the bank batch otherwise."""
    account = connect.payout_account_for(worker=worker)
    if connect.connect_available() and account is not None and account.payouts_enabled:
        return PayoutMethod.STRIPE
    return PayoutMethod.MANUAL


@transaction.atomic
def payout_request(*, worker: User, amount_cents: int, method: str | None = None) -> Payout:
    if not worker.is_worker:
        raise PayoutError("Only workers request payouts.")
    _ensure_not_held(worker)
    if amount_cents < MIN_PAYOUT_CENTS:
        raise PayoutError(f"The minimum payout is {money.format_cents(MIN_PAYOUT_CENTS)}.")
    method = method or payout_method_default(worker=worker)
    if method not in PayoutMethod.values:
        raise PayoutError(f"Unknown payout method “{method}”.")
    destination = ""
    if method == PayoutMethod.STRIPE:
        account = connect.payout_account_for(worker=worker)
        if not connect.connect_available() or account is None or not account.payouts_enabled:
            raise PayoutError(
                "Connect a Stripe payout account and finish its onboarding first, "
                "or choose the bank transfer method."
            )
        destination = account.provider_account_id
    payout = Payout.objects.create(
        worker=worker, amount_cents=amount_cents, method=method, destination_account_id=destination
    )
    try:
        ledger.transfer(
            source=ledger.worker_payable_account(worker),
            destination=ledger.payouts_in_flight_account(),
            amount_cents=amount_cents,
            kind=TransactionKind.PAYOUT_REQUEST,
            memo=f"Payout {payout.pk} requested",
            idempotency_key=f"payout:{payout.pk}:request",
            created_by=worker,
        )
    except ledger.OverdraftError as error:
        raise PayoutError(
            f"You can withdraw up to {money.format_cents(error.balance_cents)}."
        ) from error
    return payout


def _locked(payout_id: int, allowed: set[str], action: str) -> Payout:
    payout = Payout.objects.select_for_update().filter(pk=payout_id).first()
    if payout is None:
        raise PayoutError("No such payout.")
    if payout.status not in allowed:
        raise PayoutError(f"A {payout.get_status_display().lower()} payout cannot be {action}.")
    return payout


def _move(payout: Payout, status: str, staff: User, **fields) -> Payout:
    payout.status = status
    payout.decided_by = staff
    for name, value in fields.items():
        setattr(payout, name, value)
    payout.save()
    return payout


def _not_sent(payout: Payout, action: str) -> None:
    if payout.method == PayoutMethod.STRIPE and payout.status == PayoutStatus.APPROVED:
        raise PayoutError(f"An approved Stripe payout is being transferred and cannot be {action}.")


@transaction.atomic
def payout_approve(*, payout_id: int, staff: User | None) -> Payout:
    """Approve; a Stripe payout gets its idempotency key in this commit, and its transfer is
    queued after it (the sweeper re-queues it if the process dies in between)."""
    payout = _locked(payout_id, {PayoutStatus.REQUESTED, PayoutStatus.HELD}, "approved")
    _ensure_not_held(payout.worker)
    fields = {"approved_at": timezone.now()}
    if payout.method == PayoutMethod.STRIPE:
        fields["idempotency_key"] = payout.idempotency_key or f"quorum-payout-{payout.pk}"
        transfers.payout_transfer_enqueue(payout_id=payout.pk)
    return _move(payout, PayoutStatus.APPROVED, staff, **fields)


@transaction.atomic
def payout_hold(*, payout_id: int, staff: User, note: str = "") -> Payout:
    payout = _locked(payout_id, {PayoutStatus.REQUESTED, PayoutStatus.APPROVED}, "held")
    _not_sent(payout, "held")
    return _move(payout, PayoutStatus.HELD, staff, note=note[:300])


@transaction.atomic
def payout_mark_paid(*, payout_id: int, staff: User, reference: str) -> Payout:
    """The bank transfer went out: the money leaves the platform. Needs the bank's reference."""
    reference = reference.strip()
    if not reference:
        raise PayoutError("Enter the bank transfer's reference.")
    payout = Payout.objects.select_for_update().filter(pk=payout_id).first()
    if payout is not None and payout.status == PayoutStatus.PAID:
        return payout  # marking twice is harmless
    payout = _locked(payout_id, {PayoutStatus.APPROVED}, "marked paid")
    if payout.method != PayoutMethod.MANUAL:
        raise PayoutError("A Stripe payout is marked paid by its transfer, not by hand.")
    ledger.transfer(
        source=ledger.payouts_in_flight_account(),
        destination=ledger.external_bank_account(),
        amount_cents=payout.amount_cents,
        kind=TransactionKind.PAYOUT_PAID,
        memo=f"Payout {payout.pk} sent, bank reference {reference}",
        idempotency_key=f"payout:{payout.pk}:paid",
        created_by=staff,
    )
    return _move(payout, PayoutStatus.PAID, staff, reference=reference, paid_at=timezone.now())


@transaction.atomic
def payout_cancel(*, payout_id: int, staff: User, note: str = "") -> Payout:
    """Give the amount back to the worker's payable balance."""
    allowed = {PayoutStatus.REQUESTED, PayoutStatus.APPROVED, PayoutStatus.HELD}
    payout = _locked(payout_id, allowed, "cancelled")
    _not_sent(payout, "cancelled")
    ledger.transfer(
        source=ledger.payouts_in_flight_account(),
        destination=ledger.worker_payable_account(payout.worker_id),
        amount_cents=payout.amount_cents,
        kind=TransactionKind.PAYOUT_CANCEL,
        memo=f"Payout {payout.pk} cancelled",
        idempotency_key=f"payout:{payout.pk}:cancel",
        created_by=staff,
    )
    return _move(payout, PayoutStatus.CANCELLED, staff, note=note[:300])


def payouts_approve_many(*, payout_ids: list[int], staff: User | None) -> dict[str, int]:
    """Bulk approval; each payout is its own transaction."""
    counts = {"approved": 0, "refused": 0}
    for payout_id in payout_ids:
        try:
            payout_approve(payout_id=payout_id, staff=staff)
        except PayoutError:
            counts["refused"] += 1
        else:
            counts["approved"] += 1
    return counts


CSV_HEADER = ["payout_id", "worker_email", "worker_name", "amount", "currency", "requested_at"]


def payouts_export_csv(*, payouts) -> str:
    """A bank-transfer batch of the given (approved) payouts. Reading it changes nothing. Names
    and emails that start like a formula are neutralised (``config.csv_safe``)."""
    buffer = io.StringIO()
    writer = csv_safe_writer(buffer)
    writer.writerow(CSV_HEADER)
    for payout in payouts:
        writer.writerow(
            [
                payout.pk,
                payout.worker.email,
                payout.worker.full_name,
                f"{payout.amount_cents // 100}.{payout.amount_cents % 100:02d}",
                "USD",
                payout.requested_at.isoformat(),
            ]
        )
    return buffer.getvalue()


def payout_act(*, payout_id: int, action: str, staff: User, reference="", note="") -> Payout:
    """One staff decision by name, for the queue page and the API."""
    if action == "approve":
        return payout_approve(payout_id=payout_id, staff=staff)
    if action == "hold":
        return payout_hold(payout_id=payout_id, staff=staff, note=note)
    if action == "cancel":
        return payout_cancel(payout_id=payout_id, staff=staff, note=note)
    if action == "paid":
        return payout_mark_paid(payout_id=payout_id, staff=staff, reference=reference)
    raise PayoutError(f"Unknown payout action “{action}”.")


def payouts_automatic_request() -> dict[str, int]:
    """Scheduled payouts (``PAYOUTS_AUTOMATIC``): every worker whose Stripe account can receive
    payouts, holding at least the minimum and with no payout open, is paid their whole balance.
    Each worker is its own transaction; a run that overlaps another finds the open payout."""
    counts = {"requested": 0, "refused": 0}
    if not settings.PAYOUTS_AUTOMATIC:
        return counts
    open_statuses = [PayoutStatus.REQUESTED, PayoutStatus.APPROVED, PayoutStatus.HELD]
    for account in PayoutAccount.objects.filter(payouts_enabled=True).select_related("worker"):
        worker = account.worker
        payable = LedgerAccount.objects.filter(code=f"payable:{worker.pk}").first()
        if payable is None or payable.balance_cents < MIN_PAYOUT_CENTS:
            continue
        if Payout.objects.filter(worker=worker, status__in=open_statuses).exists():
            continue
        try:
            with transaction.atomic():
                payout = payout_request(
                    worker=worker, amount_cents=payable.balance_cents, method=PayoutMethod.STRIPE
                )
                payout_approve(payout_id=payout.pk, staff=None)
        except PayoutError:
            counts["refused"] += 1
        else:
            counts["requested"] += 1
    return counts
