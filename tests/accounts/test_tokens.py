"""API tokens expire, rotate at each login and can be revoked; failed logins on the token
endpoint count against the same per-account limit as the login page; an unverified email gets
no token where verification is mandatory; the admin's login goes through the site's (issue 12,
finding 3)."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db


def _login(api_client, email, password, address="10.1.1.1"):
    return api_client.post(
        reverse("api:auth_token"), {"email": email, "password": password}, REMOTE_ADDR=address
    )


def _me(api_client, token):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api_client.get(reverse("api:me"))
    api_client.credentials()
    return response


def test_each_login_rotates_the_token_and_the_old_one_stops(api_client, requester, password):
    first = _login(api_client, requester.email, password).json()
    assert _me(api_client, first["token"]).status_code == 200
    second = _login(api_client, requester.email, password).json()

    assert second["token"] != first["token"] and second["expires_at"]
    assert _me(api_client, first["token"]).status_code in (401, 403)
    assert _me(api_client, second["token"]).status_code == 200


def test_an_expired_token_is_refused_with_its_own_code(api_client, requester, password, settings):
    token = _login(api_client, requester.email, password).json()["token"]
    Token.objects.filter(key=token).update(
        created=Token.objects.get(key=token).created - timedelta(days=31)
    )
    from accounts.authentication import forget_token

    forget_token(token)  # as if the cached entry had aged out
    refused = _me(api_client, token)
    assert refused.status_code in (401, 403)
    assert refused.json()["error"]["code"] == "token_expired"


def test_a_revoked_token_stops_at_once(api_client, requester, password):
    token = _login(api_client, requester.email, password).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.post(reverse("api:auth_token_revoke")).status_code == 204
    api_client.credentials()
    assert _me(api_client, token).status_code in (401, 403)
    assert not Token.objects.filter(user=requester).exists()


def test_failed_logins_from_many_addresses_lock_the_account_for_a_while(
    api_client, requester, password
):
    """The per-account limit (allauth's ``login_failed``: 5 in 5 minutes) holds whatever
    address the guesses come from; then even the right password waits."""
    codes = [
        _login(api_client, requester.email, "guess", address=f"10.2.0.{n}").status_code
        for n in range(5)
    ]
    assert codes == [401] * 5
    locked = _login(api_client, requester.email, password, address="10.2.0.99")
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "too_many_failed_logins"


def test_no_token_for_an_unverified_email_where_verification_is_mandatory(
    api_client, requester, password, settings
):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    refused = _login(api_client, requester.email, password)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "email_unverified"
    EmailAddress.objects.update_or_create(
        user=requester, email=requester.email, defaults={"verified": True, "primary": True}
    )
    assert _login(api_client, requester.email, password).status_code == 200


def test_the_admin_login_goes_through_the_sites_login_page(client):
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
