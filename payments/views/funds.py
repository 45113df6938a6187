"""Requester pages: funds (balances, escrow per project, ledger history, add funds by card) and
review of submitted answers (one by one or in bulk). Thin: validate, call a service, render."""

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import requester_required, staff_required
from config.errors import DomainError
from payments import money
from payments.forms import AddFundsForm, DepositForm
from payments.models import CardRefund
from payments.selectors import funds as selectors
from payments.services.funds import card_payment_start, funds_deposit
from payments.services.refunds import RefundError, funds_refund

HISTORY_PAGE_SIZE = 50


@requester_required
def funds(request):
    account = request.user.requester_account
    form = AddFundsForm(request.POST or None, initial={"request_key": uuid.uuid4().hex})
    if request.method == "POST" and form.is_valid():
        try:
            payment = card_payment_start(
                user=request.user,
                amount_cents=form.cleaned_data["amount"],
                payment_method=form.cleaned_data["payment_method"],
                request_key=form.cleaned_data["request_key"],
            )
        except DomainError as error:  # refused, or the form's key reused for another amount
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                f"Card payment {payment.payment_intent_id} sent. The funds appear here as soon "
                "as Stripe confirms it.",
            )
        return redirect("payments:funds")
    history = Paginator(
        selectors.ledger_entries_for_requester(requester_account=account), HISTORY_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "payments/funds.html",
        {
            "summary": selectors.funds_summary(requester_account=account),
            "history": history,
            "card_payments": selectors.card_payments_for(requester_account=account)[:20],
            "form": form,
            "refund_key": uuid.uuid4().hex,
            "refunds": CardRefund.objects.filter(requester_account=account).select_related(
                "card_payment"
            )[:20],
        },
    )


@require_POST
@requester_required
def refund_new(request):
    try:
        amount = money.parse_dollars(request.POST.get("amount", ""))
        refunds = funds_refund(
            user=request.user, amount_cents=amount, request_key=request.POST.get("request_key", "")
        )
    except (ValueError, RefundError) as error:
        messages.error(request, str(error))
    else:
        done = sum(r.amount_cents for r in refunds if r.status == "succeeded")
        messages.success(request, f"{money.format_cents(done)} refunded to your card.")
        if done < amount:
            messages.info(request, "The rest is pending at Stripe; it appears below when done.")
    return redirect("payments:funds")


@staff_required
def deposit_new(request):
    form = DepositForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            funds_deposit(
                requester_account=form.cleaned_data["requester_account"],
                amount_cents=form.cleaned_data["amount"],
                reference=form.cleaned_data["reference"],
                created_by=request.user,
            )
        except DomainError as error:
            form.add_error("reference", str(error))
        else:
            messages.success(
                request, "Bank transfer recorded (once per reference and organisation)."
            )
            return redirect("payments:deposit_new")
    return render(request, "payments/deposit.html", {"form": form})
