"""The workforce API: tests taken through the API, the claim refusal with reasons, tenancy
between requester organisations, roles, and the answer key kept from workers."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse

from marketplace.models import Assignment, AssignmentStatus
from tests.marketplace.factories import ProjectFactory, TaskFactory
from tests.workers.factories import make_test
from workers.models import AuditLogEntry, QualificationKind, RequirementKind
from workers.services.qualification_authoring import (
    qualification_question_create,
    qualification_type_create,
)
from workers.services.requirements import requirement_create

pytestmark = pytest.mark.django_db

SECRET = "Paris-secret-7781"


@pytest.fixture
def capital_test(requester):
    """A free-text test whose answer key appears nowhere but in the key."""
    qualification = qualification_type_create(
        actor=requester, name="Capitals", passing_score=100, show_feedback=True
    )
    question = qualification_question_create(
        actor=requester,
        qualification=qualification,
        template_type="free_text",
        label_config={},
        data={"text": "Which city? (the code word)"},
        answer_key=SECRET,
        explanation="Explained only after the attempt.",
    )
    return qualification, question


@pytest.fixture
def project(requester):
    project = ProjectFactory(account=requester.requester_account)
    TaskFactory.create_batch(2, project=project)
    return project


def api(client, user):
    client.force_authenticate(user)
    return client


def test_the_answer_key_never_reaches_a_worker_through_the_api(api_client, worker, capital_test):
    qualification, question = capital_test
    client = api(api_client, worker)
    bodies = [
        client.get(reverse("api:qualification_list")),
        client.get(reverse("api:qualification_detail", args=[qualification.pk])),
    ]
    started = client.post(reverse("api:qualification_attempt_start", args=[qualification.pk]))
    assert started.status_code == 201
    attempt_id = started.json()["id"]
    assert started.json()["questions"][0]["data"] == {"text": "Which city? (the code word)"}
    assert "Explained only" not in json.dumps(started.json())
    bodies += [
        started,
        client.get(reverse("api:qualification_attempt", args=[attempt_id])),
        client.post(
            reverse("api:qualification_attempt_submit", args=[attempt_id]),
            {"answers": {str(question.pk): "London"}},
            format="json",
        ),
        client.get(reverse("api:qualification_attempt", args=[attempt_id])),
        client.get(reverse("api:my_qualifications")),
        client.get(reverse("api:notification_list")),
    ]
    for response in bodies:
        assert response.status_code in (200, 201), response.content
        assert SECRET not in response.content.decode()
        assert "answer_key" not in response.content.decode()
    feedback = bodies[-3].json()["feedback"]
    assert feedback == [
        {
            "question": question.pk,
            "correct": False,
            "explanation": "Explained only after the attempt.",
        }
    ]


def test_the_answer_key_never_reaches_a_worker_through_the_pages(client, worker, capital_test):
    qualification, question = capital_test
    client.force_login(worker)
    pages = [
        client.get(reverse("workers:qualification_list")),
        client.get(reverse("workers:qualification_detail", args=[qualification.pk])),
    ]
    start = client.post(reverse("workers:qualification_start", args=[qualification.pk]))
    take_url = start.headers["Location"]
    pages.append(client.get(take_url))
    result = client.post(take_url, {"question": question.pk, "answer": "Rome"}, follow=True)
    pages += [result, client.get(reverse("workers:dashboard"))]
    for page in pages:
        assert page.status_code == 200
        assert SECRET not in page.content.decode()
    assert "Explained only after the attempt." in result.content.decode()
    assert "wrong" in result.content.decode()


def test_a_worker_passes_a_test_through_the_api_and_holds_the_qualification(
    api_client, worker, capital_test
):
    qualification, question = capital_test
    client = api(api_client, worker)
    attempt = client.post(reverse("api:qualification_attempt_start", args=[qualification.pk]))
    result = client.post(
        reverse("api:qualification_attempt_submit", args=[attempt.json()["id"]]),
        {"answers": {str(question.pk): SECRET.lower()}},
        format="json",
    ).json()
    assert (result["score"], result["passed"]) == (100, True)
    held = client.get(reverse("api:my_qualifications")).json()["results"]
    assert [(grant["qualification"], grant["value"]) for grant in held] == [(qualification.pk, 100)]
    again = client.post(reverse("api:qualification_attempt_start", args=[qualification.pk]))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "attempt_refused"


def test_the_claim_api_refuses_an_unqualified_worker_with_403_and_the_reasons(
    api_client, requester, worker, project
):
    qualification = make_test(requester)
    requirement_create(
        project=project, kind=RequirementKind.QUALIFICATION_EXISTS, qualification=qualification
    )
    client = api(api_client, worker)
    response = client.post(reverse("api:assignment_claim"), {"project": project.pk}, format="json")
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "requirements_not_met"
    assert "Sentiment basics" in error["fields"]["requirements"][0]
    assert not Assignment.objects.filter(worker=worker).exists()
    eligibility = client.get(reverse("api:project_eligibility", args=[project.pk])).json()
    assert eligibility["eligible"] is False
    assert eligibility["reasons"][0]["unlock"] == "take_test"
    assert eligibility["reasons"][0]["qualification_id"] == qualification.pk


def test_requirements_are_set_and_removed_through_the_api(api_client, requester, project):
    qualification = make_test(requester)
    client = api(api_client, requester)
    url = reverse("api:project_requirements", args=[project.pk])
    created = client.post(
        url,
        {"kind": "qualification_gte", "qualification": qualification.pk, "value": 80},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert [r["kind"] for r in client.get(url).json()] == ["qualification_gte"]
    deleted = client.delete(reverse("api:requirement_detail", args=[created.json()["id"]]))
    assert deleted.status_code == 204
    assert client.get(url).json() == []


def test_requesters_create_tests_and_questions_through_the_api(api_client, requester):
    client = api(api_client, requester)
    created = client.post(
        reverse("api:qualification_list"),
        {"name": "Birds", "kind": "test", "passing_score": 50},
        format="json",
    )
    assert created.status_code == 201, created.content
    questions_url = reverse("api:qualification_questions", args=[created.json()["id"]])
    bad = client.post(
        questions_url,
        {
            "template_type": "classification",
            "label_config": {"labels": ["bird", "plane"]},
            "data": {"text": "Tweets"},
            "answer_key": "superman",
        },
        format="json",
    )
    assert bad.status_code == 400
    assert "answer_key" in bad.json()["error"]["fields"]
    good = client.post(
        questions_url,
        {
            "template_type": "classification",
            "label_config": {"labels": ["bird", "plane"]},
            "data": {"text": "Tweets"},
            "answer_key": "bird",
        },
        format="json",
    )
    assert good.status_code == 201
    assert client.get(questions_url).json()[0]["answer_key"] == "bird"


# --- Tenancy ----------------------------------------------------------------------------------


def worked_for(worker, project):
    task = TaskFactory(project=project)
    return Assignment.objects.create(
        task=task,
        worker=worker,
        project=project,
        status=AssignmentStatus.SUBMITTED,
        answer="cat",
        submitted_at=task.created_at,
        claimed_at=task.created_at,
        expires_at=task.created_at + timedelta(minutes=5),
    )


def test_a_requester_cannot_see_or_touch_another_organisations_qualifications(
    api_client, requester, other_requester, project
):
    qualification = make_test(requester)
    client = api(api_client, other_requester)
    for name in ("qualification_detail", "qualification_questions", "qualification_grants"):
        assert client.get(reverse(f"api:{name}", args=[qualification.pk])).status_code == 404
    patched = client.patch(
        reverse("api:qualification_detail", args=[qualification.pk]), {"name": "x"}, format="json"
    )
    assert patched.status_code == 404
    assert client.get(reverse("api:qualification_list")).json()["results"] == []
    requirements = reverse("api:project_requirements", args=[project.pk])
    assert client.get(requirements).status_code == 404
    assert client.post(requirements, {"kind": "approved_gte", "value": 1}).status_code == 404
    own_project = ProjectFactory(account=other_requester.requester_account)
    foreign = client.post(
        reverse("api:project_requirements", args=[own_project.pk]),
        {"kind": "qualification_exists", "qualification": qualification.pk},
        format="json",
    )
    assert foreign.status_code == 400


def test_a_requester_sees_only_workers_of_their_projects_and_only_those_answers(
    api_client, requester, other_requester, worker, make_user, project
):
    stranger = make_user()
    other_project = ProjectFactory(account=other_requester.requester_account, title="Secret")
    worked_for(worker, project)
    worked_for(worker, other_project)
    worked_for(stranger, other_project)
    client = api(api_client, requester)
    listed = client.get(reverse("api:workforce_worker_list")).json()["results"]
    assert [(row["email"], row["answers"]) for row in listed] == [(worker.email, 1)]
    detail = client.get(reverse("api:workforce_worker_detail", args=[worker.pk])).json()
    assert {answer["project"] for answer in detail["answers"]} == {project.pk}
    for name in ("workforce_worker_detail",):
        assert client.get(reverse(f"api:{name}", args=[stranger.pk])).status_code == 404
    for name in ("workforce_worker_block", "workforce_worker_message"):
        response = client.post(
            reverse(f"api:{name}", args=[stranger.pk]),
            {"reason": "x", "text": "hello"},
            format="json",
        )
        assert response.status_code == 404


def test_block_message_and_staff_suspend_through_the_api(
    api_client, requester, staff_user, worker, project
):
    worked_for(worker, project)
    client = api(api_client, requester)
    blocked = client.post(
        reverse("api:workforce_worker_block", args=[worker.pk]), {"reason": "Bots"}, format="json"
    )
    assert blocked.status_code == 200
    again = client.post(
        reverse("api:workforce_worker_block", args=[worker.pk]), {"reason": "Bots"}, format="json"
    )
    assert again.status_code == 409
    messaged = client.post(
        reverse("api:workforce_worker_message", args=[worker.pk]),
        {"subject": "Hi", "text": "Please read the guide."},
        format="json",
    )
    assert messaged.status_code == 200
    refused = client.post(
        reverse("api:workforce_worker_suspend", args=[worker.pk]), {"reason": "x"}, format="json"
    )
    assert refused.status_code == 403
    assert client.get(reverse("api:audit_log")).status_code == 403
    staff = api(api_client, staff_user)
    suspended = staff.post(
        reverse("api:workforce_worker_suspend", args=[worker.pk]),
        {"reason": "Fraud", "appeal_note": "Reply to this email"},
        format="json",
    )
    assert suspended.status_code == 200
    actions = [entry["action"] for entry in staff.get(reverse("api:audit_log")).json()["results"]]
    assert actions == ["suspend", "message", "block"]


def test_workers_cannot_use_manager_endpoints(api_client, worker, requester, project):
    qualification = make_test(requester)
    client = api(api_client, worker)
    assert client.get(reverse("api:workforce_worker_list")).status_code == 403
    assert (
        client.get(reverse("api:qualification_questions", args=[qualification.pk])).status_code
        == 403
    )
    assert client.post(reverse("api:qualification_list"), {"name": "x"}).status_code == 403
    assert client.get(reverse("api:project_requirements", args=[project.pk])).status_code == 403


def test_an_auto_granted_qualification_is_requested_through_the_api(api_client, requester, worker):
    qualification = qualification_type_create(
        actor=requester, name="Newsletter", kind=QualificationKind.AUTO, auto_value=2
    )
    client = api(api_client, worker)
    response = client.post(reverse("api:qualification_request", args=[qualification.pk]))
    assert (response.status_code, response.json()["value"]) == (200, 2)
    unread = client.get(reverse("api:notification_list")).json()["results"]
    assert len(unread) == 1 and unread[0]["read_at"] is None
    assert client.post(reverse("api:notification_read"), {}, format="json").json() == {"marked": 1}


def test_a_training_answers_each_question_with_its_explanation_through_the_api(
    api_client, client, requester, worker
):
    qualification = make_test(requester, kind=QualificationKind.TRAINING)
    api = api_client
    api.force_authenticate(worker)
    attempt = api.post(reverse("api:qualification_attempt_start", args=[qualification.pk])).json()
    question = attempt["questions"][0]
    url = reverse("api:qualification_attempt_answer", args=[attempt["id"]])
    answered = api.post(url, {"question": question["id"], "answer": "negative"}, format="json")
    assert answered.json()["feedback"] == {
        "question": question["id"],
        "correct": False,
        "explanation": "“I love it” is positive.",
    }
    changed = api.post(url, {"question": question["id"], "answer": "positive"}, format="json")
    assert changed.status_code == 409

    client.force_login(worker)
    take = reverse("workers:attempt_take", args=[attempt["id"]])
    second = attempt["questions"][1]
    page = client.post(take, {"question": second["id"], "answer": "negative"}, follow=True)
    assert "Right." in page.content.decode()  # “Terrible service” is negative


def test_requester_messages_stop_at_the_limits_and_staff_are_not_limited(
    api_client, requester, staff_user, worker, project, settings
):
    """Each message is an email: a requester may not flood one worker, nor many."""
    settings.WORKER_MESSAGES_PER_WORKER_PER_DAY = 2
    worked_for(worker, project)
    client = api(api_client, requester)
    url = reverse("api:workforce_worker_message", args=[worker.pk])
    body = {"subject": "Hi", "text": "Please read the guide."}
    codes = [client.post(url, body, format="json").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    refused = client.post(url, body, format="json").json()["error"]
    assert refused["code"] == "message_limit_reached"
    assert AuditLogEntry.objects.filter(actor=requester, action="message").count() == 2

    staff = api(api_client, staff_user)
    assert staff.post(url, body, format="json").status_code == 200

    settings.WORKER_MESSAGES_PER_WORKER_PER_DAY = 100
    settings.WORKER_MESSAGES_PER_HOUR = 3
    client = api(api_client, requester)
    assert client.post(url, body, format="json").status_code == 200
    assert client.post(url, body, format="json").status_code == 429
