"""Payout pages: a worker's payout requests and payout account (Stripe Connect onboarding), the
staff payout queue and reconciliation."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import staff_required, worker_required
from payments import money, stripe_client
from payments.models import PayoutMethod, PayoutStatus, ReconciliationIssue
from payments.responses import onboarding_urls, payouts_csv_response
from payments.selectors import payouts as selectors
from payments.services import connect
from payments.services.payouts import PayoutError, payout_act, payout_request, payouts_approve_many
from payments.services.reconciliation import reconciliation_run


@require_POST
@worker_required
def payout_account_connect(request):
    """POST from the earnings page: off to Stripe's onboarding with a fresh link. POST only: it
    may create the worker's Connect account, which a link or an image on another site must not
    be able to do."""
    try:
        url = connect.payout_account_onboarding_link(
            worker=request.user, **onboarding_urls(request)
        )
    except connect.ConnectError as error:
        messages.error(request, str(error))
        return redirect("workers:earnings")
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
    return redirect("workers:earnings")


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
    return redirect("workers:earnings")


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


@worker_required
def payout_account_relink(request):
    """Stripe's ``refresh_url`` (a GET when an onboarding link expired): a page with one button
    that POSTs for a fresh link, instead of acting on a GET."""
    return render(request, "payments/payout_account_relink.html")
