"""A worker's earnings page: balances, bonuses, rejected answers, payouts and the payout account."""

from django.shortcuts import render

from accounts.permissions import worker_required
from payments.models import Bonus
from payments.selectors.payouts import payouts_for_worker
from payments.services import connect
from payments.services.payouts import MIN_PAYOUT_CENTS, payout_method_default
from workers.selectors.earnings import rejected_answers_for, worker_earnings


@worker_required
def earnings(request):
    return render(
        request,
        "workers/earnings.html",
        {
            "earnings": worker_earnings(worker=request.user),
            "bonuses": Bonus.objects.filter(worker=request.user)[:50],
            "rejected": rejected_answers_for(worker=request.user)[:50],
            "payouts": payouts_for_worker(worker=request.user)[:50],
            "minimum_payout_cents": MIN_PAYOUT_CENTS,
            "connect_available": connect.connect_available(),
            "payout_account": connect.payout_account_for(worker=request.user),
            "default_method": payout_method_default(worker=request.user),
        },
    )
