from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.db import transaction

from accounts.models import Role
from accounts.services import user_assign_role


class SignupForm(AllauthSignupForm):
    full_name = forms.CharField(max_length=200, required=False, label="Your name")
    role = forms.ChoiceField(
        choices=[
            (Role.WORKER, "I want to work on tasks (worker)"),
            (Role.REQUESTER, "I want to post labeling jobs (requester)"),
        ],
        widget=forms.RadioSelect,
        initial=Role.WORKER,
    )
    organisation = forms.CharField(
        max_length=200,
        required=False,
        label="Organisation",
        help_text="Requesters only: the team whose projects and funds you share.",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("role") == Role.REQUESTER and not cleaned.get("organisation", "").strip():
            self.add_error("organisation", "Requesters need an organisation name.")
        return cleaned

    def save(self, request):
        with transaction.atomic():
            user = super().save(request)
            user.full_name = self.cleaned_data.get("full_name", "")
            user.save(update_fields=["full_name"])
            return user_assign_role(
                user=user,
                role=self.cleaned_data["role"],
                organisation_name=self.cleaned_data.get("organisation", ""),
            )
