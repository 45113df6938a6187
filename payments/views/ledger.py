"""Staff page of the ledger: balances per account kind, the journal, and the integrity re-count
on demand. The same reads as ``GET /api/v1/staff/ledger/`` (payments/api/ledger.py)."""

from django.shortcuts import render

from accounts.permissions import staff_required
from payments.models import TransactionKind
from payments.selectors.ledger import journal_page, ledger_checks, ledger_totals


def _before(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@staff_required
def ledger_overview(request):
    kind = request.GET.get("kind", "")
    account = request.GET.get("account", "").strip()
    transactions, next_before = journal_page(
        kind=kind if kind in TransactionKind.values else "",
        account_code=account,
        before_id=_before(request.GET.get("before")),
    )
    return render(
        request,
        "payments/staff_ledger.html",
        {
            "totals": ledger_totals(),
            "checks": ledger_checks() if request.GET.get("check") == "1" else None,
            "transactions": transactions,
            "next_before": next_before,
            "kind": kind,
            "account": account,
            "kinds": TransactionKind.choices,
        },
    )
