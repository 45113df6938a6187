"""Reconciliation of Stripe payouts: our payouts against Connect transfers and the ledger."""

from collections import defaultdict
from datetime import datetime

from django.db.models import Q

from payments import stripe_client
from payments.models import (
    Payout,
    PayoutMethod,
    PayoutStatus,
)
from payments.services.reconciliation_common import (
    CLOCK_MARGIN,
    Comparison,
    Difference,
    _ledger_amounts,
    _open_issue_ids,
    _unix,
)


def _transfers_to_compare(since: datetime, comparison: Comparison) -> dict:
    """Stripe's transfers since the window start, and those open issues are about."""
    listed = stripe_client.transfers_list(created_gte=_unix(since - CLOCK_MARGIN))
    transfers = {transfer.id: transfer for transfer in listed}
    for transfer_id in _open_issue_ids("transfer") - set(transfers):
        comparison.examined.add(f"transfer:{transfer_id}")  # gone from Stripe: resolved
        remote = stripe_client.transfer_retrieve(transfer_id)
        if remote is not None:
            transfers[remote.id] = remote
    return transfers


def _payouts_to_compare(since: datetime, transfers: dict) -> list[Payout]:
    referenced = {transfer.metadata.get("payout_id", "") for transfer in transfers.values()}
    referenced |= _open_issue_ids("payout")
    return list(
        Payout.objects.filter(method=PayoutMethod.STRIPE)
        .exclude(status__in=[PayoutStatus.REQUESTED, PayoutStatus.HELD])
        .filter(
            Q(requested_at__gte=since)
            | Q(approved_at__gte=since)
            | Q(paid_at__gte=since)
            | Q(pk__in=[int(pk) for pk in referenced if pk.isdigit()])
        )
        .order_by("pk")
    )


def _add_earlier_transfers(payouts: list[Payout], transfers: dict, since: datetime) -> None:
    """A compared payout approved before the window (paid or refused recently, or pulled in by
    a recent transfer or an open issue) may have a transfer older than the listing: look it up
    among its destination's transfers since its approval, the earliest one can exist."""
    wanted = {str(payout.pk) for payout in payouts}
    earliest: dict[str, datetime] = {}
    for payout in payouts:
        start = (payout.approved_at or payout.requested_at) - CLOCK_MARGIN
        if payout.status != PayoutStatus.APPROVED and start < since - CLOCK_MARGIN:
            destination = payout.destination_account_id
            earliest[destination] = min(earliest.get(destination, start), start)
    for destination, start in earliest.items():
        for transfer in stripe_client.transfers_list(
            created_gte=_unix(start), destination=destination
        ):
            if transfer.metadata.get("payout_id") in wanted:
                transfers.setdefault(transfer.id, transfer)


def _payout_differences(since: datetime, comparison: Comparison) -> list[Difference]:
    transfers_found = _transfers_to_compare(since, comparison)
    payouts = _payouts_to_compare(since, transfers_found)
    _add_earlier_transfers(payouts, transfers_found, since)
    comparison.examined |= {f"transfer:{transfer_id}" for transfer_id in transfers_found}
    transfers = defaultdict(list)
    for transfer in transfers_found.values():
        transfers[transfer.metadata.get("payout_id", "")].append(transfer)
    booked = _ledger_amounts(f"payout:{payout.pk}:paid" for payout in payouts)
    found = []
    for payout in payouts:
        ref = f"payout:{payout.pk}"
        comparison.examined.add(ref)
        sent = transfers.pop(str(payout.pk), [])
        if payout.status == PayoutStatus.APPROVED:
            continue  # in progress
        if len(sent) > 1:
            found.append(
                Difference(
                    "duplicate_transfer",
                    ref,
                    f"{len(sent)} transfers at Stripe",
                    payout.amount_cents,
                    sum(t.amount_cents for t in sent),
                )
            )
        if payout.status == PayoutStatus.PAID:
            if not sent:
                found.append(
                    Difference(
                        "paid_without_transfer",
                        ref,
                        "Paid in the ledger, no transfer at Stripe",
                        payout.amount_cents,
                        0,
                    )
                )
            elif sent[0].amount_cents != payout.amount_cents:
                found.append(
                    Difference(
                        "transfer_amount_mismatch",
                        ref,
                        f"Transfer {sent[0].id} amount differs",
                        payout.amount_cents,
                        sent[0].amount_cents,
                    )
                )
            if booked.get(f"{ref}:paid") != payout.amount_cents:
                found.append(
                    Difference(
                        "ledger_amount_mismatch",
                        ref,
                        "The ledger's payout movement differs from the payout",
                        payout.amount_cents,
                        booked.get(f"{ref}:paid"),
                    )
                )
        elif sent:
            found.append(
                Difference(
                    "transfer_for_unpaid_payout",
                    ref,
                    f"Payout is {payout.status} but Stripe has {sent[0].id}",
                    0,
                    sum(t.amount_cents for t in sent),
                )
            )
    for payout_id, unknown in transfers.items():
        for transfer in unknown:
            found.append(
                Difference(
                    "transfer_without_payout",
                    f"transfer:{transfer.id}",
                    f"No Stripe payout {payout_id or '(no metadata)'} here",
                    None,
                    transfer.amount_cents,
                )
            )
    return found
