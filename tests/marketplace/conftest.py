import pytest

from marketplace.models import TemplateType
from marketplace.services.projects import project_create
from payments.services.funds import funds_deposit

# Publishing reserves escrow; projects made here belong to an organisation with funds for it.
TEST_FUNDS_CENTS = 10_000_000

LABELS = {
    "labels": [
        {"value": "cat", "shortcut": "1"},
        {"value": "dog", "shortcut": "2"},
        {"value": "bird", "shortcut": "3"},
    ]
}


def _fund(user):
    funds_deposit(
        requester_account=user.requester_account,
        amount_cents=TEST_FUNDS_CENTS,
        reference=f"test-funds-{user.requester_account_id}",
    )
    return user


@pytest.fixture
def requester(requester):
    """The shared requester, with funds: marketplace tests publish without thinking of money."""
    return _fund(requester)


@pytest.fixture
def other_requester(other_requester):
    return _fund(other_requester)


@pytest.fixture
def make_project(db):
    def make(owner, **fields):
        values = {
            "title": "Animals",
            "template_type": TemplateType.CLASSIFICATION,
            "label_config": LABELS,
            "reward_cents": 5,
            "overlap_min": 2,
            "overlap_max": 3,
            "gold_ratio": 0.1,
            **fields,
        }
        _fund(owner)
        return project_create(account=owner.requester_account, created_by=owner, **values)

    return make


@pytest.fixture
def project(make_project, requester):
    return make_project(requester)
