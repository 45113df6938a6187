"""Requester pages: funds (balances, escrow per project, ledger history, add funds by card) and
review of submitted answers (one by one or in bulk). Thin: validate, call a service, render."""

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import requester_required, staff_required, worker_required
from marketplace.selectors import project_get_for_requester
from marketplace.services.reviews import (
    ReviewError,
    assignment_approve,
    assignment_reject,
    assignments_review,
)
from payments import money, selectors, stripe_client
from payments.forms import AddFundsForm, BonusForm, BulkReviewForm, DepositForm
from payments.models import Bonus, CardRefund, PayoutMethod, PayoutStatus, ReconciliationIssue
from payments.services import connect
from payments.services.bonuses import BonusError, bonus_grant
from payments.services.escrow import InsufficientFundsError
from payments.services.funds import FundingError, card_payment_start, funds_deposit
from payments.services.payouts import (
    MIN_PAYOUT_CENTS,
    PayoutError,
    payout_act,
    payout_method_default,
    payout_request,
    payouts_approve_many,
    payouts_export_csv,
)
from payments.services.reconciliation import reconciliation_run
from payments.services.refunds import RefundError, funds_refund

HISTORY_PAGE_SIZE = 50
REVIEW_PAGE_SIZE = 100


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
        except FundingError as error:
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


@requester_required
def review_queue(request, project_id):
    project = project_get_for_requester(user=request.user, project_id=project_id)
    pending = selectors.review_queue(project=project)
    if request.method == "POST":
        form = BulkReviewForm(request.POST, assignment_ids=pending.values_list("id", flat=True))
        if form.is_valid():
            approve = form.cleaned_data["action"] == "approve"
            try:
                counts = assignments_review(
                    project=project,
                    assignment_ids=form.cleaned_data["assignment_ids"],
                    approve=approve,
                    reason=form.cleaned_data["reason"],
                    reviewer=request.user,
                )
            except InsufficientFundsError as error:
                messages.error(request, str(error))
            else:
                verb = "Approved" if approve else "Rejected"
                refused = f", {counts['refused']} refused" if counts["refused"] else ""
                messages.success(request, f"{verb} {counts['reviewed']}{refused}.")
            return redirect("payments:review_queue", project_id=project.pk)
        for problems in form.errors.values():
            for problem in problems:
                messages.error(request, problem)
    return render(
        request,
        "payments/review_queue.html",
        {
            "project": project,
            "pending": pending[:REVIEW_PAGE_SIZE],
            "total": pending.count(),
            "bonus_form": BonusForm(
                workers=_project_workers(project), initial={"client_key": uuid.uuid4().hex}
            ),
        },
    )


def _project_workers(project):
    return User.objects.filter(assignments__project=project).distinct().order_by("email")


@require_POST
@requester_required
def bonus_new(request, project_id):
    project = project_get_for_requester(user=request.user, project_id=project_id)
    workers = _project_workers(project)
    form = BonusForm(request.POST, workers=workers)
    if form.is_valid():
        try:
            bonus = bonus_grant(
                granted_by=request.user,
                worker=workers.get(pk=form.cleaned_data["worker"]),
                amount_cents=form.cleaned_data["amount"],
                message=form.cleaned_data["message"],
                client_key=form.cleaned_data["client_key"],
                project=project,
            )
        except (BonusError, InsufficientFundsError) as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Bonus of {bonus.amount_cents / 100:.2f} USD paid.")
    else:
        for problems in form.errors.values():
            for problem in problems:
                messages.error(request, problem)
    return redirect("payments:review_queue", project_id=project.pk)


@worker_required
def earnings(request):
    return render(
        request,
        "payments/earnings.html",
        {
            "earnings": selectors.worker_earnings(worker=request.user),
            "bonuses": Bonus.objects.filter(worker=request.user)[:50],
            "rejected": selectors.rejected_answers_for(worker=request.user)[:50],
            "payouts": selectors.payouts_for_worker(worker=request.user)[:50],
            "minimum_payout_cents": MIN_PAYOUT_CENTS,
            "connect_available": connect.connect_available(),
            "payout_account": connect.payout_account_for(worker=request.user),
            "default_method": payout_method_default(worker=request.user),
        },
    )


def onboarding_urls(request) -> dict[str, str]:
    """Where Stripe's hosted onboarding sends the worker back (done, or link expired)."""
    return {
        "return_url": request.build_absolute_uri(reverse("payments:payout_account_return")),
        "refresh_url": request.build_absolute_uri(reverse("payments:payout_account_relink")),
    }


@worker_required
def payout_account_connect(request):
    """POST from the earnings page (GET: Stripe's refresh_url when a link expired): off to
    Stripe's onboarding with a fresh link."""
    if request.method not in ("POST", "GET"):
        return HttpResponse(status=405)
    try:
        url = connect.payout_account_onboarding_link(
            worker=request.user, **onboarding_urls(request)
        )
    except connect.ConnectError as error:
        messages.error(request, str(error))
        return redirect("payments:earnings")
    return redirect(url)


@worker_required
def payout_account_return(request):
    try:
        account = connect.payout_account_refresh_for(worker=request.user)
    except connect.ConnectError as error:
        messages.error(request, str(error))
    else:
        if account is not None and account.payouts_enabled:
            messages.success(request, "Your Stripe payout account is connected.")
        else:
            messages.info(request, "Stripe has not enabled payouts on your account yet.")
    return redirect("payments:earnings")


@staff_required
def deposit_new(request):
    form = DepositForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        funds_deposit(
            requester_account=form.cleaned_data["requester_account"],
            amount_cents=form.cleaned_data["amount"],
            reference=form.cleaned_data["reference"],
            created_by=request.user,
        )
        messages.success(request, "Bank transfer recorded (once per reference).")
        return redirect("payments:deposit_new")
    return render(request, "payments/deposit.html", {"form": form})


@require_POST
@requester_required
def review_one(request, assignment_id, action):
    assignment = selectors.assignment_get_for_requester(
        user=request.user, assignment_id=assignment_id
    )
    try:
        if action == "approve":
            assignment_approve(assignment_id=assignment.pk, project=assignment.project)
            messages.success(request, f"Answer {assignment.pk} approved and paid.")
        else:
            assignment_reject(
                assignment_id=assignment.pk,
                project=assignment.project,
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, f"Answer {assignment.pk} rejected.")
    except (ReviewError, InsufficientFundsError) as error:
        messages.error(request, str(error))
    return redirect("payments:review_queue", project_id=assignment.project_id)


def payouts_csv_response(payouts) -> HttpResponse:
    response = HttpResponse(payouts_export_csv(payouts=payouts), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="payouts-approved.csv"'
    return response


@worker_required
@require_POST
def payout_new(request):
    try:
        amount = money.parse_dollars(request.POST.get("amount", ""))
        payout = payout_request(
            worker=request.user, amount_cents=amount, method=request.POST.get("method") or None
        )
    except (ValueError, PayoutError) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Payout of {money.format_cents(payout.amount_cents)} requested.")
    return redirect("payments:earnings")


@staff_required
def payout_queue(request):
    status = request.GET.get("status", "")
    if request.method == "POST":
        try:
            if request.POST.get("action") == "bulk_approve":
                ids = [int(pk) for pk in request.POST.getlist("payout_ids") if pk.isdigit()]
                counts = payouts_approve_many(payout_ids=ids, staff=request.user)
                messages.success(request, f"Approved {counts['approved']}.")
            else:
                payout = payout_act(
                    payout_id=int(request.POST.get("payout_id", "0") or 0),
                    action=request.POST.get("action", ""),
                    staff=request.user,
                    reference=request.POST.get("reference", ""),
                    note=request.POST.get("note", ""),
                )
                messages.success(request, f"Payout {payout.pk}: {payout.get_status_display()}.")
        except PayoutError as error:
            messages.error(request, str(error))
        return redirect(f"{request.path}?status={status}" if status else request.path)
    if request.GET.get("format") == "csv":
        return payouts_csv_response(
            selectors.payout_queue(status=PayoutStatus.APPROVED).filter(method=PayoutMethod.MANUAL)
        )
    return render(
        request,
        "payments/payout_queue.html",
        {
            "payouts": selectors.payout_queue(status=status or None)[:500],
            "status": status,
            "statuses": PayoutStatus.choices,
        },
    )


@staff_required
def reconciliation(request):
    """Differences between the ledger and Stripe; "Check now" runs the hourly job at once."""
    if request.method == "POST":
        try:
            counts = reconciliation_run()
        except stripe_client.ProviderError as error:
            messages.error(request, f"Stripe could not be asked: {error}")
        else:
            messages.success(
                request, f"{counts['open']} open difference(s), {counts['resolved']} resolved."
            )
        return redirect("payments:reconciliation")
    return render(
        request,
        "payments/reconciliation.html",
        {
            "open_issues": ReconciliationIssue.objects.filter(resolved_at__isnull=True)[:500],
            "resolved": ReconciliationIssue.objects.filter(resolved_at__isnull=False)[:50],
            "failed_events": selectors.webhook_events_by_status(status="failed")[:200],
        },
    )
