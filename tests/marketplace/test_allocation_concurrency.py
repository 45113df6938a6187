"""Allocation under real concurrency: threads with their own PostgreSQL connections, and forced
interleavings where a second connection holds a row lock while the others queue behind it."""

import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.utils import timezone

from marketplace.models import Assignment, AssignmentStatus, ProjectCounter, Task
from marketplace.services import assignments as assignments_service
from marketplace.services.assignments import (
    LeaseExpired,
    assignment_claim,
    assignment_submit,
    assignments_expire,
)
from tests.marketplace.factories import ProjectFactory, TaskFactory, WorkerFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_gold_ratios():
    assignments_service._gold_ratios.clear()


def run_threads(count: int, work: Callable[[int], object]) -> list:
    """Run ``work(i)`` in ``count`` threads started together; each closes its connection."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list = []

    def target(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as error:  # collected and re-raised in the test thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


def start_thread(work: Callable[[], object]) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def target():
        try:
            outcome["result"] = work()
        except Exception as error:
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    return thread, outcome


@contextmanager
def row_locked(sql: str, params: list):
    """A second connection holding ``SELECT … FOR UPDATE`` locks until the block ends."""
    with psycopg.connect(**connection.get_connection_params()) as other:
        other.execute(sql, params)
        yield
        other.rollback()


def wait_for_lock_waiters(count: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as probe:
        while time.monotonic() < deadline:
            waiting = probe.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).fetchone()[0]
            if waiting >= count:
                return
            time.sleep(0.02)
    raise AssertionError(f"expected {count} sessions waiting on a lock")


def assert_slot_counts_match_assignments():
    """The invariant behind everything: a regular task's slots are its live and submitted
    assignments, its answers its submitted ones, never more than its overlap."""
    holding = dict(
        Assignment.objects.filter(status__in=["live", "submitted"], is_gold=False)
        .values_list("task")
        .annotate(n=Count("id"))
    )
    submitted = dict(
        Assignment.objects.filter(status="submitted", is_gold=False)
        .values_list("task")
        .annotate(n=Count("id"))
    )
    for task in Task.objects.filter(is_gold=False):
        assert task.slots_taken == holding.get(task.pk, 0), task
        assert task.answers_count == submitted.get(task.pk, 0), task
        assert task.slots_taken <= task.overlap, task


def test_many_workers_claiming_at_once_fill_every_task_exactly_to_its_overlap():
    project = ProjectFactory(overlap_min=3, overlap_max=3)
    TaskFactory.create_batch(10, project=project)
    workers = WorkerFactory.create_batch(12)

    def work(i):
        done = 0
        while claimed := assignment_claim(worker=workers[i], project=project.pk):
            assignment_submit(worker=workers[i], assignment_id=claimed.assignment_id, answer="cat")
            done += 1
        return done

    assert sum(run_threads(12, work)) == 30
    assert Assignment.objects.count() == 30
    pairs = Assignment.objects.values("task", "worker").distinct().count()
    assert pairs == 30
    assert set(Task.objects.values_list("answers_count", "status")) == {(3, "complete")}
    assert ProjectCounter.objects.aggregate(total=Sum("answers"))["total"] == 30
    assert_slot_counts_match_assignments()


def test_one_worker_claiming_in_parallel_requests_never_gets_a_task_twice():
    project = ProjectFactory()
    TaskFactory.create_batch(4, project=project)
    worker = WorkerFactory()
    claims = run_threads(6, lambda i: assignment_claim(worker=worker, project=project.pk))
    got = [claim for claim in claims if claim is not None]
    assert len(got) == 4
    assert Assignment.objects.values("task").distinct().count() == 4
    assert_slot_counts_match_assignments()


def test_claim_waits_out_an_expiry_in_progress_and_never_overfills_the_task():
    project = ProjectFactory(overlap_min=1, overlap_max=1)
    task = TaskFactory(project=project)
    late = WorkerFactory()
    claimed = assignment_claim(worker=late, project=project.pk)
    Assignment.objects.filter(pk=claimed.assignment_id).update(
        claimed_at=timezone.now() - timedelta(hours=2),
        expires_at=timezone.now() - timedelta(hours=1),
    )
    newcomer = WorkerFactory()
    with row_locked("SELECT id FROM marketplace_task WHERE id = %s FOR UPDATE", [task.pk]):
        # The sweeper expires the assignment, then queues for the task row to free the slot.
        sweeper, swept = start_thread(assignments_expire)
        wait_for_lock_waiters(1)
        # Meanwhile a claim skips the locked task: the slot is not free until the sweep commits.
        assert assignment_claim(worker=newcomer, project=project.pk) is None
    sweeper.join(10)
    assert swept == {"result": 1}
    assert Task.objects.get().slots_taken == 0
    assert assignment_claim(worker=newcomer, project=project.pk) is not None
    assert_slot_counts_match_assignments()


def test_claims_and_sweeps_racing_keep_slot_counts_exact():
    project = ProjectFactory(overlap_min=2, overlap_max=2, time_limit_seconds=60)
    TaskFactory.create_batch(6, project=project)
    first = WorkerFactory.create_batch(12)
    for worker in first:
        assignment_claim(worker=worker, project=project.pk)
    Assignment.objects.update(
        claimed_at=timezone.now() - timedelta(hours=2),
        expires_at=timezone.now() - timedelta(hours=1),
    )
    second = WorkerFactory.create_batch(10)

    def work(i):
        if i < 2:
            return assignments_expire()
        return assignment_claim(worker=second[i - 2], project=project.pk)

    results = run_threads(12, work)
    assert results[0] + results[1] == 12  # each expired assignment released once
    assert_slot_counts_match_assignments()


def test_submit_during_an_expiry_is_refused_and_the_slot_released_once():
    project = ProjectFactory(overlap_min=1, overlap_max=1)
    task = TaskFactory(project=project)
    worker = WorkerFactory()
    claimed = assignment_claim(worker=worker, project=project.pk)
    Assignment.objects.filter(pk=claimed.assignment_id).update(
        claimed_at=timezone.now() - timedelta(hours=2),
        expires_at=timezone.now() - timedelta(hours=1),
    )
    with row_locked("SELECT id FROM marketplace_task WHERE id = %s FOR UPDATE", [task.pk]):
        sweeper, swept = start_thread(assignments_expire)
        wait_for_lock_waiters(1)  # the sweeper holds the assignment, waits for the task
        submitter, submitted = start_thread(
            lambda: assignment_submit(
                worker=worker, assignment_id=claimed.assignment_id, answer="cat"
            )
        )
        wait_for_lock_waiters(2)  # the submit queues behind the sweeper's assignment lock
    sweeper.join(10)
    submitter.join(10)
    assert swept == {"result": 1}
    # It found the assignment expired under the lock: refused, for gold and regular alike.
    assert isinstance(submitted["error"], LeaseExpired)
    task.refresh_from_db()
    assert (task.slots_taken, task.answers_count, task.status) == (0, 0, "open")
    assert_slot_counts_match_assignments()


def test_submit_after_expiry_loses_to_a_claim_that_took_the_slot():
    project = ProjectFactory(overlap_min=1, overlap_max=1)
    task = TaskFactory(project=project)
    worker = WorkerFactory()
    claimed = assignment_claim(worker=worker, project=project.pk)
    Assignment.objects.filter(pk=claimed.assignment_id).update(
        claimed_at=timezone.now() - timedelta(hours=2),
        expires_at=timezone.now() - timedelta(hours=1),
    )
    assignments_expire()
    other = WorkerFactory()
    results = run_threads(
        2,
        lambda i: (
            assignment_claim(worker=other, project=project.pk)
            if i == 0
            else _submit_or_refusal(worker, claimed.assignment_id)
        ),
    )
    task.refresh_from_db()
    assert results[0] is not None  # the claim got the freed slot, whoever ran first
    assert results[1] == "refused"
    assert (task.slots_taken, task.answers_count) == (1, 0)
    assert_slot_counts_match_assignments()


def _submit_or_refusal(worker, assignment_id):
    try:
        return assignment_submit(worker=worker, assignment_id=assignment_id, answer="cat")
    except LeaseExpired:
        return "refused"


def test_the_same_submit_sent_twice_at_once_records_one_answer():
    project = ProjectFactory()
    TaskFactory(project=project)
    worker = WorkerFactory()
    claimed = assignment_claim(worker=worker, project=project.pk)
    with row_locked(
        "SELECT id FROM marketplace_assignment WHERE id = %s FOR UPDATE", [claimed.assignment_id]
    ):
        threads = [
            start_thread(
                lambda: assignment_submit(
                    worker=worker,
                    assignment_id=claimed.assignment_id,
                    answer="dog",
                    submit_key="retry-1",
                )
            )
            for _ in range(2)
        ]
        wait_for_lock_waiters(2)
    for thread, _ in threads:
        thread.join(10)
    results = [outcome["result"] for _, outcome in threads]
    assert {(r.submitted_at, r.late) for r in results} == {(results[0].submitted_at, False)}
    assert sorted(r.replayed for r in results) == [False, True]
    assert Task.objects.get().answers_count == 1
    assert ProjectCounter.objects.aggregate(total=Sum("answers"))["total"] == 1
    assert Assignment.objects.get().status == AssignmentStatus.SUBMITTED
