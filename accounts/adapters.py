from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    def get_login_redirect_url(self, request):
        # Every role lands on its own home; ``home`` dispatches on the role.
        return reverse("home")

    def get_signup_redirect_url(self, request):
        return reverse("home")
