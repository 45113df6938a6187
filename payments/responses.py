"""HTTP pieces shared by the payments pages and API: where Stripe's onboarding returns to, and the
approved-payouts CSV download."""

from django.http import HttpResponse
from django.urls import reverse

from payments.services.payouts import payouts_export_csv


def onboarding_urls(request) -> dict[str, str]:
    """Where Stripe's hosted onboarding sends the worker back (done, or link expired)."""
    return {
        "return_url": request.build_absolute_uri(reverse("payments:payout_account_return")),
        "refresh_url": request.build_absolute_uri(reverse("payments:payout_account_relink")),
    }


def payouts_csv_response(payouts) -> HttpResponse:
    response = HttpResponse(payouts_export_csv(payouts=payouts), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="payouts-approved.csv"'
    return response
