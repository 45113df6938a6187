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


class BulkReviewForm(forms.Form):
    assignment_ids = forms.TypedMultipleChoiceField(coerce=int, choices=[])
    action = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    reason = forms.CharField(required=False, max_length=1000)

    def __init__(self, *args, assignment_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignment_ids"].choices = [(pk, pk) for pk in assignment_ids]

    def clean(self):
        data = super().clean()
        if data.get("action") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", "A rejection needs a reason; the worker will see it.")
        return data


class BonusForm(forms.Form):
    worker = forms.TypedChoiceField(coerce=int, choices=[], label="Worker")
    amount = forms.CharField(label="Amount (USD)", max_length=20, initial="1.00")
    message = forms.CharField(max_length=500, label="Message to the worker")
    client_key = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, workers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["worker"].choices = [(w.pk, w.full_name or w.email) for w in workers]

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
