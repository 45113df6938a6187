"""The aggregation and quality path for databases without PostgreSQL's arrays and advisory
locks (the SQLite demo, ``aggregation_portable``), run here on PostgreSQL through the same
services: the aggregation, quality and dynamic-overlap tests again with the portable path
forced, then the same data through both paths side by side, which must store the same final
labels, confidence, closed tasks and worker figures."""

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketplace.models import Assignment, Project, ProjectCounter, Task, WorkerProjectStats
from marketplace.services import assignments as assignments_service
from marketplace.services.aggregation import project_aggregate
from marketplace.services.assignments import assignment_claim, assignment_submit
from marketplace.services.quality import quality_rules_run
from marketplace.services.reviews import assignment_reject
from marketplace.task_types import task_type
from tests.marketplace.factories import ProjectFactory, TaskFactory, WorkerFactory

# The existing tests, collected again in this module so the fixture below applies to them.
from tests.marketplace.test_aggregation_service import (  # noqa: F401
    test_a_confident_task_with_a_live_claim_stays_open_until_that_answer_arrives,
    test_a_project_can_rerun_with_another_method,
    test_bounding_boxes_agree_by_overlap_and_take_the_median_box,
    test_dynamic_overlap_collects_fewer_answers_than_a_fixed_overlap,
    test_every_answer_kind_gets_a_final_answer,
    test_final_labels_are_the_majority_of_the_submitted_answers,
    test_gold_answers_and_final_labels_become_each_workers_quality,
    test_rejected_answers_no_longer_count_towards_the_label,
    test_the_aggregation_api_switches_the_method_and_runs,
)
from tests.marketplace.test_dynamic_overlap_sweep import (  # noqa: F401
    test_a_model_sure_of_a_one_vote_lead_does_not_stop_the_task,
    test_a_task_stops_once_its_leading_label_is_three_votes_ahead,
    test_the_periodic_job_aggregates_each_changed_project_once,
)
from tests.marketplace.test_quality_rules import (  # noqa: F401
    test_a_submission_runs_the_rules_and_a_block_can_discard_pending_answers,
    test_a_worker_whose_gold_accuracy_is_surely_too_low_is_blocked_and_cannot_claim,
    test_constant_answering_is_flagged_only_with_low_gold_accuracy,
    test_fast_answers_are_flagged_once_without_blocking,
    test_requesters_see_worker_quality_and_edit_rules_in_the_api,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _portable(settings):
    assignments_service._gold_ratios.clear()
    settings.AGGREGATION_PORTABLE_SQL = True


# --- Both paths on the same data ----------------------------------------------------------


def _answer(kind: str, right: bool, rng: random.Random):
    """A right or wrong answer of the template ``kind`` (right answers are all alike)."""
    if kind == "classification":
        return "cat" if right else rng.choice(["dog", "bird"])
    if kind == "multi_label":
        return ["cat", "dog"] if right else rng.choice([["cat"], ["bird"], ["dog", "bird"]])
    return "A late delivery" if right else rng.choice(["late delivery!", "Broken box", "no"])


def _build(template_type: str, *, seed: int, **fields) -> Project:
    """A project answered by six workers of different accuracy (seeded, so the same call
    builds the same data), with gold answers, durations and one rejected answer."""
    config = {"labels": ["cat", "dog", "bird"]} if template_type != "free_text" else {}
    project = ProjectFactory(
        template_type=template_type,
        label_config=task_type(template_type).clean_config(config),
        **fields,
    )
    kind = template_type
    rng = random.Random(seed)
    tasks = [TaskFactory(project=project, data={"text": f"item {i}"}) for i in range(10)]
    gold = TaskFactory.create_batch(3, project=project, gold=True)
    Task.objects.filter(pk__in=[task.pk for task in gold]).update(
        gold_answer=_answer(kind, True, rng)
    )
    workers = WorkerFactory.create_batch(6)
    accuracy = [0.95, 0.9, 0.85, 0.8, 0.6, 0.3]
    clock = timezone.now() - timedelta(hours=1)
    for worker, skill in zip(workers, accuracy, strict=True):
        for task in gold:
            Assignment.objects.create(
                task=task,
                worker=worker,
                project=project,
                is_gold=True,
                status="submitted",
                answer=_answer(kind, rng.random() < skill, rng),
                claimed_at=clock,
                expires_at=clock + timedelta(minutes=10),
                submitted_at=clock,
                duration_ms=rng.randrange(1000, 30000),
            )
    for _ in range(len(tasks)):
        for worker, skill in zip(workers, accuracy, strict=True):
            claimed = assignment_claim(worker=worker, project=project, now=clock)
            if claimed is None:
                continue
            clock += timedelta(milliseconds=rng.randrange(1000, 30000))
            assignment_submit(
                worker=worker,
                assignment_id=claimed.assignment_id,
                answer=_answer(kind, rng.random() < skill, rng),
                now=clock,
            )
    first = Assignment.objects.filter(project=project, is_gold=False).order_by("pk").first()
    assignment_reject(assignment_id=first.pk, reason="Copied from the item above.")
    assignments_service._gold_ratios.clear()
    return project


def _outcome(project: Project) -> dict:
    """What a run stored, by position (task and worker ids differ between two projects)."""
    project.refresh_from_db()
    tasks = Task.objects.filter(project=project).order_by("pk")
    worker_ids = list(
        Assignment.objects.filter(project=project)
        .order_by("worker_id")
        .values_list("worker_id", flat=True)
        .distinct()
    )
    stats = {row.worker_id: row for row in WorkerProjectStats.objects.filter(project=project)}
    counters = ProjectCounter.objects.filter(project=project).aggregate(n=Sum("tasks_completed"))
    return {
        "tasks": [
            (task.final_label, task.aggregation_method, task.status, task.overlap) for task in tasks
        ],
        "confidence": [task.confidence for task in tasks],
        "saved": (project.answers_saved, counters["n"], project.aggregated_answers),
        "stats": [
            (
                stats[worker].answers,
                stats[worker].gold_answers,
                stats[worker].gold_correct,
                stats[worker].gold_accuracy_low,
                stats[worker].gold_accuracy_high,
                stats[worker].median_duration_ms,
            )
            for worker in worker_ids
        ],
        "learnt": [
            figure
            for worker in worker_ids
            for figure in (stats[worker].agreement, stats[worker].skill)
        ],
    }


@pytest.mark.parametrize(
    ("template_type", "fields"),
    [
        ("classification", {"aggregation_method": "ds", "overlap_min": 3, "overlap_max": 3}),
        (
            "classification",
            {
                "aggregation_method": "mv",
                "overlap_min": 2,
                "overlap_max": 5,
                "confidence_target": 0.9,
            },
        ),
        ("multi_label", {"aggregation_method": "mv", "overlap_min": 3, "overlap_max": 4}),
        ("free_text", {"overlap_min": 3, "overlap_max": 3}),
    ],
)
def test_both_paths_store_the_same_labels_closures_and_worker_figures(
    settings, template_type, fields
):
    settings.AGGREGATION_PORTABLE_SQL = False
    fast = _build(template_type, seed=11, **fields)
    run = project_aggregate(project_id=fast.pk)
    expected = _outcome(fast)

    settings.AGGREGATION_PORTABLE_SQL = True
    portable = _build(template_type, seed=11, **fields)
    portable_run = project_aggregate(project_id=portable.pk)
    got = _outcome(portable)

    assert got["tasks"] == expected["tasks"]
    assert any(label is not None for label, *_ in got["tasks"])
    assert got["confidence"] == pytest.approx(expected["confidence"])
    assert got["saved"] == expected["saved"]
    assert got["stats"] == expected["stats"]
    assert got["learnt"] == pytest.approx(expected["learnt"])
    assert (portable_run.tasks_labelled, portable_run.tasks_closed) == (
        run.tasks_labelled,
        run.tasks_closed,
    )


def _label_writes(queries) -> list[str]:
    """The statements that wrote final labels (``bulk_update`` writes ``CASE WHEN``)."""
    task_table = Task._meta.db_table
    return [
        query["sql"]
        for query in queries
        if query["sql"].startswith(f'UPDATE "{task_table}"') and "CASE WHEN" in query["sql"]
    ]


def test_the_portable_path_keeps_learnt_figures_and_rewrites_nothing_unchanged():
    project = _build("classification", seed=3, aggregation_method="ds")
    with CaptureQueriesContext(connection) as first:
        project_aggregate(project_id=project.pk)
    before = _outcome(project)
    assert len(_label_writes(first)) == 1
    worker_id = WorkerProjectStats.objects.filter(project=project).first().worker_id

    # The rules after a submission refresh the figures without agreement and skill: the
    # stored ones stay, as with the PostgreSQL upsert's COALESCE.
    quality_rules_run(project_id=project.pk, worker_id=worker_id)
    assert _outcome(project)["learnt"] == before["learnt"]

    with CaptureQueriesContext(connection) as second:
        project_aggregate(project_id=project.pk)
    assert _label_writes(second) == []
    assert _outcome(project)["tasks"] == before["tasks"]
