"""Authoring qualifications: types and test questions, validated like a project's gold tasks,
managed only by their organisation (or staff)."""

import pytest

from tests.workers.factories import SENTIMENT, make_test
from workers.services.errors import InvalidInput, NotFound
from workers.services.qualification_authoring import (
    qualification_question_create,
    qualification_type_create,
    qualification_type_update,
)

pytestmark = pytest.mark.django_db


def test_a_question_with_an_answer_key_outside_its_labels_is_refused(requester):
    qualification = qualification_type_create(actor=requester, name="Bad key")
    with pytest.raises(InvalidInput) as refused:
        qualification_question_create(
            actor=requester,
            qualification=qualification,
            template_type="classification",
            label_config=SENTIMENT,
            data={"text": "meh"},
            answer_key="neutral",
        )
    assert "answer_key" in refused.value.fields


def test_a_qualification_takes_only_the_fields_the_service_knows(requester):
    with pytest.raises(InvalidInput, match="Unknown fields: answer_key"):
        qualification_type_create(actor=requester, name="Sneaky", answer_key="x")


def test_another_organisations_requester_cannot_edit_a_qualification(requester, other_requester):
    qualification = make_test(requester)
    with pytest.raises(NotFound):
        qualification_type_update(actor=other_requester, qualification=qualification, name="Mine")
    qualification.refresh_from_db()
    assert qualification.name == "Sentiment basics"
