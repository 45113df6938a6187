"""Requester and staff pages: build a test, set requirements, act on workers; tenancy on pages."""

from datetime import timedelta

import pytest
from django.urls import reverse

from marketplace.models import Assignment, AssignmentStatus
from tests.marketplace.factories import ProjectFactory, TaskFactory
from tests.workers.factories import make_test
from workers.models import (
    AuditLogEntry,
    ProjectRequirement,
    QualificationType,
    RequesterBlock,
    WorkerQualification,
    WorkerSuspension,
)

pytestmark = pytest.mark.django_db


def worked_for(worker, project):
    task = TaskFactory(project=project)
    return Assignment.objects.create(
        task=task,
        worker=worker,
        project=project,
        status=AssignmentStatus.SUBMITTED,
        answer="dog",
        submitted_at=task.created_at,
        claimed_at=task.created_at,
        expires_at=task.created_at + timedelta(minutes=5),
    )


def test_a_requester_builds_a_test_and_requires_it_on_a_project(client, requester):
    project = ProjectFactory(account=requester.requester_account)
    client.force_login(requester)
    created = client.post(
        reverse("workforce:requester_qualifications"),
        {
            "name": "Bird spotting",
            "kind": "test",
            "passing_score": 50,
            "time_limit_seconds": 600,
            "retake_delay_seconds": 0,
            "auto_value": 1,
            "is_active": "on",
        },
    )
    qualification = QualificationType.objects.get(name="Bird spotting")
    assert qualification.account_id == requester.requester_account_id
    assert created.headers["Location"] == reverse(
        "workforce:requester_qualification_detail", args=[qualification.pk]
    )
    client.post(
        created.headers["Location"],
        {
            "action": "question",
            "question-template_type": "classification",
            "question-labels": "bird\nplane",
            "question-text": "It tweets",
            "question-answer_key": "bird",
        },
    )
    assert list(qualification.questions.values_list("answer_key", flat=True)) == ["bird"]
    page = client.get(created.headers["Location"])
    assert "It tweets" in page.content.decode()

    client.post(
        reverse("workforce:requester_project_requirements", args=[project.pk]),
        {"kind": "qualification_gte", "qualification": qualification.pk, "value": 50},
    )
    requirement = ProjectRequirement.objects.get(project=project)
    assert (requirement.qualification_id, requirement.value) == (qualification.pk, 50)


def test_a_requester_blocks_messages_and_grants_from_the_worker_page(
    client, requester, worker, mailoutbox
):
    project = ProjectFactory(account=requester.requester_account)
    worked_for(worker, project)
    qualification = make_test(requester)
    client.force_login(requester)
    url = reverse("workforce:requester_worker_detail", args=[worker.pk])
    page = client.get(url)
    assert "dog" in page.content.decode()  # their answer on the requester's project
    client.post(url, {"action": "block", "block-reason": "Answers at random"})
    client.post(url, {"action": "message", "message-subject": "Hi", "message-text": "Slow down"})
    client.post(
        url,
        {
            "action": "grant",
            "grant-qualification": qualification.pk,
            "grant-value": 90,
            "grant-reason": "Known expert",
        },
    )
    assert RequesterBlock.objects.filter(worker=worker, lifted_at__isnull=True).exists()
    assert WorkerQualification.objects.get(worker=worker).value == 90
    assert list(AuditLogEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "block",
        "message",
        "grant",
    ]


def test_staff_suspend_a_worker_from_the_staff_pages(client, staff_user, worker):
    client.force_login(staff_user)
    url = reverse("workforce:staff_worker_detail", args=[worker.pk])
    assert client.get(reverse("workforce:staff_workers")).status_code == 200
    client.post(
        url, {"action": "suspend", "suspend-reason": "Fraud", "suspend-appeal_note": "Email us"}
    )
    suspension = WorkerSuspension.objects.get(worker=worker)
    assert (suspension.reason, suspension.appeal_note) == ("Fraud", "Email us")
    assert "suspended: Fraud" in client.get(url).content.decode()


def test_pages_of_another_organisation_are_not_found(client, requester, other_requester, worker):
    project = ProjectFactory(account=requester.requester_account)
    worked_for(worker, project)
    qualification = make_test(requester)
    client.force_login(other_requester)
    for url in (
        reverse("workforce:requester_qualification_detail", args=[qualification.pk]),
        reverse("workforce:requester_project_requirements", args=[project.pk]),
        reverse("workforce:requester_worker_detail", args=[worker.pk]),
    ):
        assert client.get(url).status_code == 404, url
    blocked = client.post(
        reverse("workforce:requester_worker_detail", args=[worker.pk]),
        {"action": "block", "block-reason": "x"},
    )
    assert blocked.status_code == 404
    assert not RequesterBlock.objects.exists()


def test_workers_cannot_open_requester_or_staff_pages(client, worker):
    client.force_login(worker)
    for name in ("requester_qualifications", "requester_workers", "staff_workers", "audit_log"):
        assert client.get(reverse(f"workforce:{name}")).status_code == 403


def test_the_dashboard_shows_rejection_reasons_and_notifications(client, requester, worker):
    project = ProjectFactory(account=requester.requester_account, title="Cats")
    assignment = worked_for(worker, project)
    Assignment.objects.filter(pk=assignment.pk).update(
        review_status="rejected", reviewed_at=assignment.submitted_at, rejection_reason="Not a cat"
    )
    worker.notifications.create(text="Welcome aboard")
    client.force_login(worker)
    page = client.get(reverse("workers:dashboard")).content.decode()
    assert "Not a cat" in page and "Welcome aboard" in page
    client.post(reverse("workers:notifications_read"))
    assert not worker.notifications.filter(read_at__isnull=True).exists()
