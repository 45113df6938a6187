"""Bonuses: a requester pays a worker extra, with a message, once per client key.

The bonus comes out of the organisation's available funds (not escrow) with the platform fee on
top, like a reward. A repeated request with the same key returns the first bonus; the same key
with a different worker or amount is refused with ``idempotency_key_reused`` (409, as Stripe does
with idempotency keys). Keys are per organisation (``Bonus`` is unique on organisation and key),
and the ledger key is ``client:bonus:<organisation id>:<key>``
(``ledger.client_idempotency_key``), apart from every server-made key. Bonuses paid before
carry ``bonus:<organisation id>:<key>``; their ``Bonus`` row is found first, so they are never
posted again under the new key.

Against bonus abuse (a requester moving money to an account of their own, or a compromised
requester draining funds): a bonus needs a submitted answer of the worker on the organisation's
projects (a claim alone, live or skipped, does not count), and the bonuses of the last 24 hours
are capped per organisation (``BONUS_DAILY_CAP_PER_REQUESTER_CENTS``) and per worker, across
organisations (``BONUS_DAILY_CAP_PER_WORKER_CENTS``). The caps hold under concurrent requests:
the organisation's row and a transaction-scoped advisory lock on the worker are taken before
the sums are read.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import RequesterAccount, User
from config.errors import DomainError
from marketplace.models import Assignment, AssignmentStatus, Project
from marketplace.services.escrow import InsufficientFundsError
from payments import ledger, money
from payments.models import Bonus, TransactionKind

MAX_BONUS_CENTS = 100_000
# Advisory lock namespace (the first key of pg_advisory_xact_lock's two-int form) for the
# per-worker bonus cap; the second key is the worker id.
_WORKER_CAP_LOCK = 7_301


class BonusError(DomainError):
    """A refused bonus; the message is for the requester."""

    code, http_status = "bonus_refused", 400


def bonus_grant(
    *,
    granted_by: User,
    worker: User,
    amount_cents: int,
    message: str,
    client_key: str,
    project: Project | None = None,
) -> Bonus:
    """Pay ``worker`` a bonus from ``granted_by``'s organisation. Raises ``BonusError`` or
    ``InsufficientFundsError`` (with the shortfall) and then moves nothing."""
    account_id = granted_by.requester_account_id
    client_key, message = client_key.strip(), message.strip()
    existing = Bonus.objects.filter(requester_account_id=account_id, client_key=client_key).first()
    if existing is not None:
        return _same_request(existing, worker, amount_cents)
    if not client_key:
        raise BonusError("A bonus needs a client key, so that a retry cannot pay it twice.")
    if not 0 < amount_cents <= MAX_BONUS_CENTS:
        raise BonusError(f"A bonus is between 1 cent and {money.format_cents(MAX_BONUS_CENTS)}.")
    if not message:
        raise BonusError("Tell the worker what the bonus is for.")
    worked_for = Assignment.objects.filter(
        worker=worker, project__account_id=account_id, status=AssignmentStatus.SUBMITTED
    )
    if project is not None:
        worked_for = worked_for.filter(project=project)
    if not worker.is_worker or not worked_for.exists():
        raise BonusError("Bonuses go to workers who answered your tasks.")
    fee = money.fee_cents(amount_cents)
    try:
        with transaction.atomic():
            _within_daily_caps(account_id=account_id, worker=worker, amount_cents=amount_cents)
            posted = ledger.post(
                kind=TransactionKind.BONUS,
                legs=[
                    (ledger.requester_available_account(account_id), -(amount_cents + fee)),
                    (ledger.worker_payable_account(worker), amount_cents),
                    (ledger.platform_fees_account(), fee),
                ],
                memo=f"Bonus: {message}"[:300],
                idempotency_key=ledger.client_idempotency_key("bonus", account_id, client_key),
                project=project,
                created_by=granted_by,
            )
            return Bonus.objects.create(
                requester_account_id=account_id,
                worker=worker,
                project=project,
                amount_cents=amount_cents,
                fee_cents=fee,
                message=message[:500],
                client_key=client_key,
                ledger_transaction=posted,
                created_by=granted_by,
            )
    except ledger.OverdraftError as error:
        raise InsufficientFundsError(
            f"Not enough funds for this bonus: add at least "
            f"{money.format_cents(error.missing_cents)}."
        ) from error
    except IntegrityError:  # the same key committed concurrently
        existing = Bonus.objects.get(requester_account_id=account_id, client_key=client_key)
        return _same_request(existing, worker, amount_cents)


def _within_daily_caps(*, account_id: int, worker: User, amount_cents: int) -> None:
    """Refuse a bonus that would take the organisation's or the worker's bonuses of the last
    24 hours over their cap. Takes the locks that make the check hold under concurrency (the
    organisation's row, then the worker's advisory lock); caller is inside the transaction."""
    RequesterAccount.objects.select_for_update().filter(pk=account_id).first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_WORKER_CAP_LOCK, worker.pk])
    since = timezone.now() - timedelta(days=1)
    recent = Bonus.objects.filter(created_at__gte=since)
    caps = [
        (
            recent.filter(requester_account_id=account_id),
            settings.BONUS_DAILY_CAP_PER_REQUESTER_CENTS,
            "your organisation's bonuses",
        ),
        (recent.filter(worker=worker), settings.BONUS_DAILY_CAP_PER_WORKER_CENTS, "this worker"),
    ]
    for bonuses, cap, whose in caps:
        paid = bonuses.aggregate(total=Sum("amount_cents"))["total"] or 0
        if paid + amount_cents > cap:
            raise BonusError(
                f"Bonuses are capped at {money.format_cents(cap)} a day for {whose}; "
                f"{money.format_cents(max(cap - paid, 0))} is left for the next 24 hours.",
                code="bonus_cap_reached",
                http_status=429,
                fields={"amount_cents": [f"At most {max(cap - paid, 0)} cents today."]},
            )


def _same_request(existing: Bonus, worker: User, amount_cents: int) -> Bonus:
    if existing.worker_id != worker.pk or existing.amount_cents != amount_cents:
        raise BonusError(
            "This client key was used for a different bonus; send a new key for a new bonus.",
            code=ledger.IdempotencyKeyReusedError.code,
            http_status=ledger.IdempotencyKeyReusedError.http_status,
            fields={"client_key": ["Already used with another worker or amount."]},
        )
    return existing
