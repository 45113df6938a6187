"""In-app notifications to workers (blocks, grants, messages), with email for messages."""

from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from workers.models import Notification
from workers.services.errors import NotFound


def notification_create(*, worker: User, text: str) -> Notification:
    return Notification.objects.create(worker=worker, text=text)


def notification_email(*, worker: User, subject: str, text: str) -> None:
    """Send after commit: a rolled-back action sends nothing."""
    transaction.on_commit(
        lambda: send_mail(
            subject, text, settings.DEFAULT_FROM_EMAIL, [worker.email], fail_silently=True
        )
    )


@transaction.atomic
def notification_mark_read(
    *, worker: User, notification_id: int | None = None, now: datetime | None = None
) -> int:
    """Mark one of the worker's notifications (or all when ``notification_id`` is None) read."""
    queryset = Notification.objects.filter(worker=worker, read_at__isnull=True)
    if notification_id is not None:
        if not Notification.objects.filter(worker=worker, pk=notification_id).exists():
            raise NotFound("No such notification.")
        queryset = queryset.filter(pk=notification_id)
    return queryset.update(read_at=now or timezone.now())
