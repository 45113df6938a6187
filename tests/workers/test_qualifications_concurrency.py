"""Double clicks and retried requests on PostgreSQL with real threads: one open attempt per
worker and test, and an attempt is scored (and granted) once."""

import threading

import pytest
from django.db import connection

from tests.workers.factories import answers_for, make_test
from workers.models import Notification, QualificationAttempt, WorkerQualification
from workers.services.qualification_attempts import attempt_start, attempt_submit

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 6


def run_together(action) -> list:
    barrier = threading.Barrier(THREADS)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(action())
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


def test_simultaneous_starts_open_one_attempt(requester, worker):
    qualification = make_test(requester)
    attempts = run_together(lambda: attempt_start(worker=worker, qualification=qualification))
    assert len({attempt.pk for attempt in attempts}) == 1
    assert QualificationAttempt.objects.filter(worker=worker).count() == 1


def test_simultaneous_submits_score_and_grant_once(requester, worker):
    qualification = make_test(requester)
    attempt = attempt_start(worker=worker, qualification=qualification)
    answers = answers_for(qualification, 4)
    results = run_together(
        lambda: attempt_submit(worker=worker, attempt_id=attempt.pk, answers=answers)
    )
    assert {(result.score, result.passed) for result in results} == {(100, True)}
    assert WorkerQualification.objects.filter(worker=worker).count() == 1
    assert Notification.objects.filter(worker=worker).count() == 1
