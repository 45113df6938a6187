"""A real Celery worker consuming from Redis, not eager mode."""

import time

import pytest
from django.core import mail

from accounts.models import Role
from accounts.services import user_create
from config.celery import app


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_signup_email_is_sent_by_a_real_worker_through_redis(celery_worker):
    assert app.conf.broker_url.startswith("redis://")
    user_create(email="queued@example.com", password="x", role=Role.WORKER)
    deadline = time.monotonic() + 20
    while not mail.outbox and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [message.to for message in mail.outbox] == [["queued@example.com"]]
