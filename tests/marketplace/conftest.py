import pytest

from marketplace.models import TemplateType
from marketplace.services.projects import project_create

LABELS = {
    "labels": [
        {"value": "cat", "shortcut": "1"},
        {"value": "dog", "shortcut": "2"},
        {"value": "bird", "shortcut": "3"},
    ]
}


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
        return project_create(account=owner.requester_account, created_by=owner, **values)

    return make


@pytest.fixture
def project(make_project, requester):
    return make_project(requester)
