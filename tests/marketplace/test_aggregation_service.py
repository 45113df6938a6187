"""The aggregation service: answers in the database become final labels with confidence, a
project can switch methods, dynamic overlap closes confident tasks early, and submissions
schedule one debounced run per project."""

import random

import pytest
from django.db.models import Sum

from marketplace import tasks as tasks_aggregation
from marketplace.models import (
    Assignment,
    ProjectCounter,
    Task,
    TaskStatus,
    TemplateType,
    WorkerProjectStats,
)
from marketplace.services import assignments as assignments_service
from marketplace.services.aggregation import (
    AggregationError,
    aggregation_method_set,
    project_aggregate,
)
from marketplace.services.assignments import assignment_claim, assignment_submit
from marketplace.services.reviews import assignment_reject
from marketplace.task_types import task_type
from tests.marketplace.factories import ProjectFactory, TaskFactory, WorkerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_gold_ratios():
    assignments_service._gold_ratios.clear()


def answer_all(project, workers, choose):
    """Each worker claims and answers every task they can; ``choose(worker, data)`` answers."""
    answered = []
    for worker in workers:
        while claimed := assignment_claim(worker=worker, project=project):
            assignment_submit(
                worker=worker,
                assignment_id=claimed.assignment_id,
                answer=choose(worker, claimed.data),
            )
            answered.append(claimed.assignment_id)
    return answered


def test_final_labels_are_the_majority_of_the_submitted_answers():
    project = ProjectFactory(overlap_min=3, overlap_max=3)
    cat_task = TaskFactory(project=project, data={"text": "a cat"})
    dog_task = TaskFactory(project=project, data={"text": "a dog"})
    workers = WorkerFactory.create_batch(3)
    contrarian = workers[2]

    def choose(worker, data):
        truth = "cat" if "cat" in data["text"] else "dog"
        if worker == contrarian:
            return "dog" if truth == "cat" else "cat"
        return truth

    answer_all(project, workers, choose)

    run = project_aggregate(project_id=project.pk)

    cat_task.refresh_from_db()
    dog_task.refresh_from_db()
    assert (cat_task.final_label, dog_task.final_label) == ("cat", "dog")
    assert cat_task.aggregation_method == "auto" and 0.5 < cat_task.confidence <= 1
    assert (run.answers, run.tasks_labelled) == (6, 2)


def test_rejected_answers_no_longer_count_towards_the_label():
    project = ProjectFactory(overlap_min=3, overlap_max=3, aggregation_method="mv")
    task = TaskFactory(project=project)
    workers = WorkerFactory.create_batch(3)
    answers = {workers[0]: "cat", workers[1]: "dog", workers[2]: "dog"}
    ids = answer_all(project, workers, lambda worker, data: answers[worker])
    project_aggregate(project_id=project.pk)
    task.refresh_from_db()
    assert task.final_label == "dog"

    for assignment_id in ids[1:]:
        assignment_reject(assignment_id=assignment_id, reason="Copied the answers")
    project_aggregate(project_id=project.pk)

    task.refresh_from_db()
    assert (task.final_label, task.confidence) == ("cat", 1.0)


def test_a_project_can_rerun_with_another_method():
    project = ProjectFactory(overlap_min=3, overlap_max=3)
    task = TaskFactory(project=project)
    answer_all(project, WorkerFactory.create_batch(3), lambda worker, data: "cat")
    project_aggregate(project_id=project.pk)

    aggregation_method_set(project=project, method="glad")
    project_aggregate(project_id=project.pk)

    task.refresh_from_db()
    project.refresh_from_db()
    assert (task.aggregation_method, task.final_label) == ("glad", "cat")
    assert project.aggregation_method == "glad" and project.aggregated_at is not None
    with pytest.raises(AggregationError, match="Unknown aggregation method"):
        aggregation_method_set(project=project, method="best")


def test_gold_answers_and_final_labels_become_each_workers_quality():
    project = ProjectFactory(overlap_min=3, overlap_max=3, gold_ratio=0.0)
    gold = TaskFactory.create_batch(3, project=project, gold=True)  # the answer is "cat"
    TaskFactory.create_batch(4, project=project)
    good, careless, sloppy = WorkerFactory.create_batch(3)
    for worker, right in ((good, 3), (careless, 3), (sloppy, 1)):
        for index, task in enumerate(gold):
            Assignment.objects.create(
                task=task,
                worker=worker,
                project=project,
                is_gold=True,
                status="submitted",
                answer="cat" if index < right else "dog",
                submitted_at=task.created_at,
                claimed_at=task.created_at,
                expires_at=task.created_at + (task.created_at - task.created_at).__class__(1),
                duration_ms=4000 + index,
            )
    answers = {good: "cat", careless: "cat", sloppy: "dog"}
    answer_all(project, [good, careless, sloppy], lambda worker, data: answers[worker])

    project_aggregate(project_id=project.pk)

    stats = {row.worker_id: row for row in WorkerProjectStats.objects.filter(project=project)}
    assert (stats[good.pk].gold_correct, stats[good.pk].gold_answers) == (3, 3)
    assert stats[good.pk].gold_accuracy_low == pytest.approx(0.4385, abs=1e-3)  # Wilson, 3/3
    assert stats[sloppy.pk].gold_accuracy == pytest.approx(1 / 3)
    assert stats[good.pk].agreement == 1.0 and stats[sloppy.pk].agreement == 0.0
    assert stats[good.pk].skill > stats[sloppy.pk].skill
    assert stats[good.pk].answers == 4 and stats[good.pk].median_duration_ms is not None


def crowd_run(project, tasks, seed):
    """Workers of 85% accuracy answer round by round (one task each), aggregating after every
    answer (the background job keeping up), until nobody gets work. Returns the answers
    collected."""
    rng = random.Random(seed)
    truth = {task.data["text"]: rng.choice(["cat", "dog"]) for task in tasks}
    workers = WorkerFactory.create_batch(project.overlap_max + 2)
    collected = 0
    while True:
        round_answers = 0
        for worker in workers:
            claimed = assignment_claim(worker=worker, project=project)
            if claimed is None:
                continue
            right = truth[claimed.data["text"]]
            wrong = "dog" if right == "cat" else "cat"
            answer = right if rng.random() < 0.85 else wrong
            assignment_submit(worker=worker, assignment_id=claimed.assignment_id, answer=answer)
            round_answers += 1
            project_aggregate(project_id=project.pk)
        collected += round_answers
        if not round_answers:
            return collected, truth


def test_dynamic_overlap_collects_fewer_answers_than_a_fixed_overlap():
    fixed = ProjectFactory(overlap_min=5, overlap_max=5, aggregation_method="mv")
    dynamic = ProjectFactory(
        overlap_min=2, overlap_max=5, confidence_target=0.9, aggregation_method="mv"
    )
    fixed_tasks = [TaskFactory(project=fixed, data={"text": f"item {i}"}) for i in range(8)]
    dynamic_tasks = [TaskFactory(project=dynamic, data={"text": f"item {i}"}) for i in range(8)]

    fixed_answers, _ = crowd_run(fixed, fixed_tasks, seed=7)
    dynamic_answers, _ = crowd_run(dynamic, dynamic_tasks, seed=7)

    assert fixed_answers == 40
    assert dynamic_answers < 0.75 * fixed_answers
    dynamic.refresh_from_db()
    assert dynamic.answers_saved == fixed_answers - dynamic_answers
    tasks = Task.objects.filter(project=dynamic)
    assert all(task.status == TaskStatus.COMPLETE for task in tasks)
    assert all(task.overlap == task.answers_count >= 2 for task in tasks)
    completed = ProjectCounter.objects.filter(project=dynamic).aggregate(n=Sum("tasks_completed"))
    assert completed["n"] == 8


def test_a_confident_task_with_a_live_claim_stays_open_until_that_answer_arrives():
    project = ProjectFactory(
        overlap_min=2, overlap_max=4, confidence_target=0.9, aggregation_method="mv"
    )
    task = TaskFactory(project=project)
    answer_all(project, WorkerFactory.create_batch(2), lambda worker, data: "cat")
    late = WorkerFactory()
    claimed = assignment_claim(worker=late, project=project)

    project_aggregate(project_id=project.pk)
    task.refresh_from_db()
    assert (task.status, task.overlap, task.slots_taken) == (TaskStatus.OPEN, 4, 3)

    assignment_submit(worker=late, assignment_id=claimed.assignment_id, answer="cat")
    run = project_aggregate(project_id=project.pk)
    task.refresh_from_db()
    assert (task.status, task.overlap, run.tasks_closed, run.answers_saved) == (
        TaskStatus.COMPLETE,
        3,
        1,
        1,
    )


@pytest.mark.parametrize(
    ("template_type", "config", "data", "answers", "expected"),
    [
        (
            TemplateType.RATING,
            {"min": 1, "max": 5},
            {"text": "x"},
            [4, 4, 5],
            4,
        ),
        (
            TemplateType.MULTI_LABEL,
            {"labels": ["cat", "dog", "bird"]},
            {"text": "x"},
            [["cat", "dog"], ["dog", "cat"], ["cat"]],
            ["cat", "dog"],
        ),
        (
            TemplateType.FREE_TEXT,
            {},
            {"text": "x"},
            ["Late delivery", "late delivery!", "Something else entirely"],
            "Late delivery",
        ),
        (
            TemplateType.SPANS,
            {"labels": ["PERSON", "PLACE"]},
            {"text": "Ada went to London"},
            [
                [{"start": 0, "end": 3, "label": "PERSON"}],
                [
                    {"start": 0, "end": 3, "label": "PERSON"},
                    {"start": 12, "end": 18, "label": "PLACE"},
                ],
                [
                    {"start": 0, "end": 3, "label": "PERSON"},
                    {"start": 12, "end": 18, "label": "PLACE"},
                ],
            ],
            [{"start": 0, "end": 3, "label": "PERSON"}, {"start": 12, "end": 18, "label": "PLACE"}],
        ),
        (
            TemplateType.PAIRWISE,
            {},
            {"a": "one", "b": "two"},
            ["b", "b", "a"],
            "b",
        ),
    ],
)
def test_every_answer_kind_gets_a_final_answer(template_type, config, data, answers, expected):
    project = ProjectFactory(
        template_type=template_type,
        label_config=task_type(template_type).clean_config(config),
        overlap_min=3,
        overlap_max=3,
    )
    task = TaskFactory(project=project, data=data)
    workers = WorkerFactory.create_batch(3)
    given = dict(zip(workers, answers, strict=True))
    answer_all(project, workers, lambda worker, _data: given[worker])

    project_aggregate(project_id=project.pk)

    task.refresh_from_db()
    assert task.final_label == expected
    assert 0 < task.confidence <= 1


def test_bounding_boxes_agree_by_overlap_and_take_the_median_box():
    project = ProjectFactory(
        template_type=TemplateType.BOUNDING_BOXES,
        label_config=task_type(TemplateType.BOUNDING_BOXES).clean_config(
            {"labels": ["car", "person"]}
        ),
        overlap_min=3,
        overlap_max=3,
    )
    task = TaskFactory(project=project, data={"image_url": "https://example.com/a.png"})
    workers = WorkerFactory.create_batch(3)
    boxes = [0.10, 0.12, 0.11]
    given = {
        worker: [{"x": x, "y": 0.1, "width": 0.3, "height": 0.3, "label": "car"}]
        for worker, x in zip(workers, boxes, strict=True)
    }
    answer_all(project, workers, lambda worker, _data: given[worker])

    project_aggregate(project_id=project.pk)

    task.refresh_from_db()
    (box,) = task.final_label
    assert box["label"] == "car" and box["x"] == pytest.approx(0.11)
    assert task.confidence == 1.0


def test_submissions_schedule_one_aggregation_per_project_per_window(
    monkeypatch, django_capture_on_commit_callbacks
):
    scheduled = []
    monkeypatch.setattr(
        tasks_aggregation.aggregate_project,
        "apply_async",
        lambda args, countdown: scheduled.append((args, countdown)),
    )
    project = ProjectFactory(overlap_min=3, overlap_max=3)
    TaskFactory.create_batch(2, project=project)
    with django_capture_on_commit_callbacks(execute=True):
        answer_all(project, WorkerFactory.create_batch(3), lambda worker, data: "cat")

    assert scheduled == [((project.pk,), 60)]


def test_the_aggregation_api_switches_the_method_and_runs(api_client, requester):
    project = ProjectFactory(account=requester.requester_account, overlap_min=3, overlap_max=3)
    task = TaskFactory(project=project)
    answer_all(project, WorkerFactory.create_batch(3), lambda worker, data: "dog")
    api_client.force_authenticate(requester)

    response = api_client.post(
        f"/api/v1/projects/{project.pk}/aggregation/", {"method": "mace"}, format="json"
    )

    assert response.status_code == 202, response.content
    assert response.json()["aggregation_method"] == "mace"
    task.refresh_from_db()
    assert (task.final_label, task.aggregation_method) == ("dog", "mace")
    bad = api_client.post(
        f"/api/v1/projects/{project.pk}/aggregation/", {"method": "best"}, format="json"
    )
    assert bad.status_code == 400 and bad.json()["error"]["fields"]["method"]
