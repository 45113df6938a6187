import pytest
from django.db import IntegrityError

from accounts.models import RequesterAccount, Role, User

pytestmark = pytest.mark.django_db


def test_database_refuses_a_requester_without_an_organisation():
    with pytest.raises(IntegrityError):
        User.objects.create_user(email="x@example.com", password="x", role=Role.REQUESTER)


def test_database_refuses_a_worker_inside_an_organisation():
    account = RequesterAccount.objects.create(name="Org")
    with pytest.raises(IntegrityError):
        User.objects.create_user(
            email="x@example.com", password="x", role=Role.WORKER, requester_account=account
        )


def test_team_members_share_one_requester_account(make_user, requester):
    colleague = make_user(Role.REQUESTER, requester_account=requester.requester_account)
    assert colleague.requester_account_id == requester.requester_account_id
    assert RequesterAccount.objects.count() == 1
