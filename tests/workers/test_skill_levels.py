"""Staff-editable skill-level thresholds: validated as a whole, audited, and seen by the
eligibility check at once (no waiting for the cache to expire)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.models import Assignment, AssignmentStatus, ReviewStatus
from tests.marketplace.factories import ProjectFactory, TaskFactory
from workers.eligibility import RequirementsNotMet, ensure_eligible
from workers.models import AuditLogEntry, RequirementKind, SkillLevel
from workers.selectors.stats import skill_levels_current, worker_stats
from workers.services.errors import WorkforceError
from workers.services.requirements import requirement_create
from workers.services.skill_levels import skill_levels_reset, skill_levels_set

pytestmark = pytest.mark.django_db


def level(number, approved, accuracy):
    return {"level": number, "min_approved": approved, "min_gold_accuracy": accuracy}


def approved_answers(worker, count, project):
    now = timezone.now()
    for _ in range(count):
        Assignment.objects.create(
            task=TaskFactory(project=project),
            worker=worker,
            project=project,
            status=AssignmentStatus.SUBMITTED,
            answer="cat",
            claimed_at=now,
            expires_at=now + timezone.timedelta(minutes=5),
            submitted_at=now,
            review_status=ReviewStatus.APPROVED,
            reviewed_at=now,
        )


def test_without_rows_the_setting_applies_and_staff_rows_replace_it(
    staff_user, settings, django_capture_on_commit_callbacks
):
    settings.WORKFORCE_SKILL_LEVELS = [(2, 10, 70), (1, 0, 0)]
    assert skill_levels_current() == [(2, 10, 70), (1, 0, 0)]  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        skill_levels_set(
            actor=staff_user, levels=[level(1, 0, 0), level(2, 5, 60), level(3, 40, 90)]
        )
    assert skill_levels_current() == [(3, 40, 90), (2, 5, 60), (1, 0, 0)]
    entry = AuditLogEntry.objects.get(action="skill_levels")
    assert entry.worker is None and entry.actor == staff_user
    assert entry.details["before"] == [[2, 10, 70], [1, 0, 0]]
    with django_capture_on_commit_callbacks(execute=True):
        skill_levels_reset(actor=staff_user)
    assert skill_levels_current() == [(2, 10, 70), (1, 0, 0)]
    assert not SkillLevel.objects.exists()


@pytest.mark.parametrize(
    ("levels", "field"),
    [
        ([], "levels"),
        ([level(1, 0, 0), level(1, 5, 50)], "levels.1.level"),
        ([level(1, 50, 0), level(2, 10, 90)], "levels.1.min_approved"),
        ([level(2, 10, 90), level(1, 0, 95)], "levels.0.min_gold_accuracy"),
        ([level(1, 0, 101)], "levels.0.min_gold_accuracy"),
        ([level(1, -1, 0)], "levels.0.min_approved"),
        ([level(0, 0, 0)], "levels.0.level"),
        ([level(1, 5, 50), level(2, 5, 50)], "levels.1.level"),
        ([{"level": "two", "min_approved": 0, "min_gold_accuracy": 0}], "levels.0.level"),
    ],
)
def test_bad_thresholds_name_the_row_and_field_and_change_nothing(staff_user, levels, field):
    with pytest.raises(WorkforceError) as refused:
        skill_levels_set(actor=staff_user, levels=levels)
    assert field in refused.value.fields
    assert not SkillLevel.objects.exists() and not AuditLogEntry.objects.exists()


def test_only_staff_change_the_levels(requester):
    with pytest.raises(WorkforceError) as refused:
        skill_levels_set(actor=requester, levels=[level(1, 0, 0)])
    assert refused.value.http_status == 403


@pytest.mark.django_db(transaction=True)
def test_a_change_reaches_a_cached_eligibility_answer_at_once(staff_user, requester, worker):
    skill_levels_set(actor=staff_user, levels=[level(1, 0, 0), level(2, 3, 0)])
    project = ProjectFactory(account=requester.requester_account)
    requirement_create(project=project, kind=RequirementKind.SKILL_LEVEL_AT_LEAST, value=2)
    approved_answers(worker, 3, ProjectFactory())
    assert worker_stats(worker_id=worker.pk).skill_level == 2
    ensure_eligible(worker=worker, project_id=project.pk)  # cached: eligible

    skill_levels_set(actor=staff_user, levels=[level(1, 0, 0), level(2, 10, 0)])

    with pytest.raises(RequirementsNotMet) as refused:
        ensure_eligible(worker=worker, project_id=project.pk)
    assert "skill level 2 (you are at 1)" in refused.value.reasons[0].message


def test_staff_page_shows_row_errors_and_saves(
    client, staff_user, django_capture_on_commit_callbacks
):
    client.force_login(staff_user)
    page = client.get(reverse("workforce:staff_skill_levels"))
    assert page.status_code == 200 and 'name="min_approved_0" value="500"' in page.content.decode()
    refused = client.post(
        reverse("workforce:staff_skill_levels"),
        {
            "rows": 4,
            **{"level_0": 3, "min_approved_0": 500, "min_gold_accuracy_0": 90},
            **{"level_1": "", "min_approved_1": "", "min_gold_accuracy_1": ""},
            **{"level_2": 2, "min_approved_2": 900, "min_gold_accuracy_2": 80},
            **{"level_3": 1, "min_approved_3": 0, "min_gold_accuracy_3": 0},
        },
    )
    body = refused.content.decode()
    assert "Level 3 needs at least the 900 approved answers of level 2" in body
    assert refused.context["table"][0]["errors"]  # the error sits on the form's first row
    assert not SkillLevel.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        saved = client.post(
            reverse("workforce:staff_skill_levels"),
            {
                "rows": 3,
                **{"level_0": 3, "min_approved_0": 1000, "min_gold_accuracy_0": 95},
                **{"level_1": 1, "min_approved_1": 0, "min_gold_accuracy_1": 0},
                **{"level_2": "", "min_approved_2": "", "min_gold_accuracy_2": ""},
            },
        )
    assert saved.status_code == 302
    assert skill_levels_current() == [(3, 1000, 95), (1, 0, 0)]


def test_skill_levels_api(api_client, staff_user, requester, worker):
    api_client.force_authenticate(worker)
    got = api_client.get(reverse("api:skill_levels")).json()
    assert got["custom"] is False and got["levels"][0] == level(3, 500, 90)
    body = {"levels": [level(1, 0, 0), level(2, 20, 85)]}
    for user in (worker, requester):
        api_client.force_authenticate(user)
        assert api_client.put(reverse("api:skill_levels"), body, format="json").status_code == 403
    api_client.force_authenticate(staff_user)
    bad = api_client.put(
        reverse("api:skill_levels"), {"levels": [level(1, 0, 0), level(2, 20, 120)]}, format="json"
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"] == {"levels.1.min_gold_accuracy": ["Between 0 and 100."]}
    saved = api_client.put(reverse("api:skill_levels"), body, format="json").json()
    assert saved == {"custom": True, "levels": [level(2, 20, 85), level(1, 0, 0)]}
    assert api_client.delete(reverse("api:skill_levels")).json()["custom"] is False
    audit = api_client.get(reverse("api:audit_log"), {"action": "skill_levels"}).json()
    assert [entry["worker_email"] for entry in audit["results"]] == ["", ""]
