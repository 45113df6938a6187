from django import forms
from django.conf import settings

from accounts.models import RequesterAccount
from payments import money

# Stripe's test payment methods; offered when the app talks to a test/loopback Stripe.
TEST_CARDS = [
    ("pm_card_visa", "Visa test card (succeeds)"),
    ("pm_card_chargeCustomerFail", "Test card that is declined"),
]


class AddFundsForm(forms.Form):
    amount = forms.CharField(label="Amount (USD)", initial="100.00", max_length=20)
    payment_method = forms.CharField(
        label="Card",
        help_text="A Stripe PaymentMethod id (from Stripe.js), or a test card here.",
        widget=forms.Select(choices=TEST_CARDS),
    )
    request_key = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if settings.STRIPE_SECRET_KEY.startswith("sk_live"):  # real cards come from Stripe.js
            self.fields["payment_method"].widget = forms.TextInput()

    def clean_amount(self) -> int:
        try:
            return money.parse_dollars(self.cleaned_data["amount"])
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error


class DepositForm(forms.Form):
    requester_account = forms.ModelChoiceField(
        queryset=RequesterAccount.objects.all(), label="Organisation"
    )
    amount = forms.CharField(label="Amount received (USD)", max_length=20)
    reference = forms.CharField(max_length=150, label="Bank transfer reference")

    def clean_amount(self) -> int:
        try:
            return money.parse_dollars(self.cleaned_data["amount"])
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error
