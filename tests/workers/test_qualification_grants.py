"""Grants and revocations of qualifications: on request, by hand with a reason (audited), and
what a revocation means for retaking the test."""

import pytest

from tests.workers.factories import make_test, take
from workers.models import AuditLogEntry, QualificationKind
from workers.services.errors import AttemptRefused, InvalidInput, NotFound
from workers.services.qualification_attempts import attempt_start
from workers.services.qualification_authoring import qualification_type_create
from workers.services.qualification_grants import (
    qualification_grant,
    qualification_request,
    qualification_revoke,
)

pytestmark = pytest.mark.django_db


def test_auto_granted_qualification_gives_its_value_on_request(requester, worker):
    qualification = qualification_type_create(
        actor=requester, name="Opted in", kind=QualificationKind.AUTO, auto_value=5
    )
    grant = qualification_request(worker=worker, qualification=qualification)
    assert grant.value == 5


def test_grant_and_revoke_by_hand_need_a_reason_and_are_audited(requester, worker):
    qualification = qualification_type_create(
        actor=requester, name="Trusted", kind=QualificationKind.MANUAL
    )
    with pytest.raises(InvalidInput):
        qualification_grant(
            actor=requester, worker=worker, qualification=qualification, value=1, reason=" "
        )
    qualification_grant(
        actor=requester, worker=worker, qualification=qualification, value=3, reason="Great work"
    )
    grant = qualification_revoke(
        actor=requester, worker=worker, qualification=qualification, reason="Spam answers"
    )
    assert grant.revoked_at is not None
    actions = list(
        AuditLogEntry.objects.filter(worker=worker).order_by("id").values_list("action", "reason")
    )
    assert actions == [("grant", "Great work"), ("revoke", "Spam answers")]


def test_a_revoked_qualification_cannot_be_earned_back_by_retaking_the_test(requester, worker):
    qualification = make_test(requester, retake_delay_seconds=0)
    take(worker, qualification, right=4)
    qualification_revoke(
        actor=requester, worker=worker, qualification=qualification, reason="Cheated"
    )
    with pytest.raises(AttemptRefused, match="revoked"):
        attempt_start(worker=worker, qualification=qualification)


def test_a_requester_cannot_manage_another_organisations_qualification(
    requester, other_requester, worker
):
    qualification = make_test(requester)
    with pytest.raises(NotFound):
        qualification_grant(
            actor=other_requester,
            worker=worker,
            qualification=qualification,
            value=100,
            reason="Sneaky",
        )
