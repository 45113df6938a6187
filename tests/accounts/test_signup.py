import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import RequesterAccount, Role, User
from workers.models import WorkerProfile

pytestmark = pytest.mark.django_db


def signup(client, **fields):
    data = {
        "email": "new@example.com",
        "password1": "a-long-enough-password-1",
        "password2": "a-long-enough-password-1",
        "role": Role.WORKER,
        "organisation": "",
        "full_name": "New Person",
        **fields,
    }
    return client.post(reverse("account_signup"), data)


def test_worker_signup_creates_a_worker_profile_and_lands_on_the_task_feed(client):
    response = signup(client)
    user = User.objects.get(email="new@example.com")
    assert user.role == Role.WORKER
    assert user.requester_account is None
    assert WorkerProfile.objects.filter(user=user).exists()
    assert response.status_code == 302
    assert client.get(response["Location"], follow=True).redirect_chain[-1][0] == reverse(
        "workers:task_feed"
    )


def test_requester_signup_creates_their_organisation(client):
    signup(client, email="boss@example.com", role=Role.REQUESTER, organisation="Lab X")
    user = User.objects.get(email="boss@example.com")
    assert user.role == Role.REQUESTER
    assert user.requester_account.name == "Lab X"
    assert not WorkerProfile.objects.filter(user=user).exists()


def test_requester_signup_without_organisation_is_refused_with_a_field_error(client):
    response = signup(client, role=Role.REQUESTER, organisation="  ")
    assert response.status_code == 200
    assert "Requesters need an organisation name." in response.content.decode()
    assert not User.objects.exists()
    assert not RequesterAccount.objects.exists()


def test_signup_cannot_choose_the_staff_role(client):
    response = signup(client, role=Role.STAFF)
    assert response.status_code == 200
    assert not User.objects.exists()


def test_signup_sends_a_welcome_email(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        signup(client, email="hello@example.com")
    assert [message.to for message in mail.outbox] == [["hello@example.com"]]


def test_email_is_the_login_and_is_case_insensitive(client, worker, password):
    response = client.post(
        reverse("account_login"), {"login": "WORKER@example.com", "password": password}
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_repeated_failed_logins_lock_the_account_even_for_the_right_password(
    client, worker, password
):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": worker.email, "password": "wrong"})
    response = client.post(reverse("account_login"), {"login": worker.email, "password": password})
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    ("role", "home"),
    [
        (Role.REQUESTER, "marketplace:requester_dashboard"),
        (Role.WORKER, "workers:task_feed"),
        (Role.STAFF, "workforce:staff_console"),
    ],
)
def test_each_role_has_its_own_home(client, make_user, role, home):
    client.force_login(make_user(role))
    response = client.get(reverse("home"))
    assert response["Location"] == reverse(home)
    assert client.get(reverse(home)).status_code == 200


@pytest.mark.parametrize(
    ("role", "page"),
    [
        (Role.WORKER, "marketplace:requester_dashboard"),
        (Role.WORKER, "workforce:staff_console"),
        (Role.REQUESTER, "workers:task_feed"),
        (Role.REQUESTER, "workforce:staff_console"),
    ],
)
def test_other_roles_pages_are_forbidden(client, make_user, role, page):
    client.force_login(make_user(role))
    assert client.get(reverse(page)).status_code == 403


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(reverse("workers:task_feed"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_staff_console_leads_to_every_staff_queue(client, make_user):
    client.force_login(make_user(Role.STAFF))
    page = client.get(reverse("workforce:staff_console")).content.decode()
    for name in (
        "workforce:staff_quality",
        "workforce:staff_workers",
        "workforce:staff_skill_levels",
        "workforce:audit_log",
        "payments:payout_queue",
        "payments:reconciliation",
        "payments:ledger",
    ):
        assert f'href="{reverse(name)}"' in page, name
        assert client.get(reverse(name)).status_code == 200, name
