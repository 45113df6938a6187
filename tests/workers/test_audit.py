"""The audit log: every staff and requester action on a worker is written, and entries can be
neither changed nor deleted (the database refuses; the admin offers no way)."""

import pytest
from django.contrib.admin.sites import site
from django.db import DatabaseError, transaction
from django.test import RequestFactory
from django.urls import reverse

from workers.models import AuditLogEntry
from workers.services.moderation import (
    requester_block,
    requester_unblock,
    worker_message,
    worker_suspend,
    worker_unsuspend,
)

pytestmark = pytest.mark.django_db


def test_every_action_on_a_worker_is_written_with_who_what_and_why(
    requester, staff_user, worker, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        requester_block(actor=requester, worker=worker, reason="Random answers")
        requester_unblock(actor=requester, worker=worker, reason="Appeal accepted")
        worker_message(actor=requester, worker=worker, subject="Guide", text="Read the guide")
        worker_suspend(actor=staff_user, worker=worker, reason="Fraud", appeal_note="Email us")
        worker_unsuspend(actor=staff_user, worker=worker, reason="Cleared")
    entries = list(
        AuditLogEntry.objects.order_by("id").values_list("actor", "account", "action", "reason")
    )
    account = requester.requester_account_id
    assert entries == [
        (requester.pk, account, "block", "Random answers"),
        (requester.pk, account, "unblock", "Appeal accepted"),
        (requester.pk, account, "message", ""),
        (staff_user.pk, None, "suspend", "Fraud"),
        (staff_user.pk, None, "unsuspend", "Cleared"),
    ]
    assert [message.subject for message in mailoutbox] == ["Guide"]
    texts = list(worker.notifications.order_by("id").values_list("text", flat=True))
    assert len(texts) == 5 and "Email us" in texts[3]


def test_the_database_refuses_to_change_or_delete_an_entry(requester, worker):
    requester_block(actor=requester, worker=worker, reason="Spam")
    entry = AuditLogEntry.objects.get()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditLogEntry.objects.filter(pk=entry.pk).update(reason="Nothing happened")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditLogEntry.objects.filter(pk=entry.pk).delete()
    assert AuditLogEntry.objects.get().reason == "Spam"


def test_the_admin_shows_entries_but_cannot_add_change_or_delete(staff_user):
    admin = site._registry[AuditLogEntry]
    request = RequestFactory().get("/")
    request.user = staff_user
    assert not admin.has_add_permission(request)
    assert not admin.has_change_permission(request)
    assert not admin.has_delete_permission(request)


def test_staff_read_the_audit_log_page_and_requesters_may_not(
    client, requester, staff_user, worker
):
    requester_block(actor=requester, worker=worker, reason="Copy-paste answers")
    client.force_login(requester)
    assert client.get(reverse("workforce:audit_log")).status_code == 403
    client.force_login(staff_user)
    page = client.get(reverse("workforce:audit_log"), {"action": "block"})
    assert page.status_code == 200
    assert "Copy-paste answers" in page.content.decode()
