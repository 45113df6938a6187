import pytest

from accounts.models import Role
from marketplace.models import Assignment, TemplateType
from marketplace.services.assignments import assignment_claim, assignment_submit
from marketplace.services.projects import project_create, tasks_add
from payments import ledger

LABELS = {"labels": [{"value": "cat"}, {"value": "dog"}]}


@pytest.fixture(autouse=True)
def _fee_of_twenty_percent(settings):
    settings.PLATFORM_FEE_BASIS_POINTS = 2000


@pytest.fixture
def draft(requester):
    """An unpublished job: 10 regular tasks, 3 answers each, 5 cents a answer, no gold."""

    def make(owner=requester, tasks=10, **fields):
        values = {
            "title": "Animals",
            "template_type": TemplateType.CLASSIFICATION,
            "label_config": LABELS,
            "reward_cents": 5,
            "overlap_min": 3,
            "overlap_max": 3,
            "gold_ratio": 0.0,
            **fields,
        }
        project = project_create(account=owner.requester_account, created_by=owner, **values)
        tasks_add(project=project, items=[{"data": {"text": f"item {n}"}} for n in range(tasks)])
        return project

    return make


@pytest.fixture
def answer(make_user):
    """A fresh worker claims and answers one task of the project; returns the assignment."""

    def make(project, worker=None):
        worker = worker or make_user(Role.WORKER)
        claimed = assignment_claim(worker=worker, project=project)
        assignment_submit(worker=worker, assignment_id=claimed.assignment_id, answer="cat")
        return Assignment.objects.select_related("project").get(pk=claimed.assignment_id)

    return make


def balance(account) -> int:
    account.refresh_from_db()
    return account.balance_cents


@pytest.fixture
def balances():
    """Current balances by name, for accounting-story assertions."""

    def read(*, requester_account=None, project=None, worker=None) -> dict[str, int]:
        figures = {"fees": balance(ledger.platform_fees_account())}
        if requester_account is not None:
            figures["available"] = balance(ledger.requester_available_account(requester_account))
        if project is not None:
            figures["escrow"] = balance(ledger.project_escrow_account(project))
        if worker is not None:
            figures["worker"] = balance(ledger.worker_payable_account(worker))
        return figures

    return read
