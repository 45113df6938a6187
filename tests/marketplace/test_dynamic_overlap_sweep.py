"""Dynamic overlap on the platform follows the rule the replay bench validated (vote-margin
confidence against the project's target, docs/aggregation.md), and a periodic sweep
re-aggregates active projects whose answers changed since their last run."""

import pytest

from marketplace import tasks as tasks_aggregation
from marketplace.models import ProjectStatus, TaskStatus
from marketplace.services.aggregation import project_aggregate, projects_needing_aggregation
from marketplace.services.reviews import assignment_reject
from tests.marketplace.factories import ProjectFactory, TaskFactory, WorkerFactory
from tests.marketplace.test_aggregation_service import answer_all

pytestmark = pytest.mark.django_db


def answer_in_turn(project, given):
    """One new worker per answer in ``given``, each answering the project's next task."""
    ids = []
    for label in given:
        ids += answer_all(project, [WorkerFactory()], lambda worker, data, label=label: label)
    return ids


def test_a_task_stops_once_its_leading_label_is_three_votes_ahead():
    project = ProjectFactory(overlap_min=3, overlap_max=5, confidence_target=0.95)
    task = TaskFactory(project=project)
    answer_in_turn(project, ["cat", "cat", "cat"])

    run = project_aggregate(project_id=project.pk)

    task.refresh_from_db()
    project.refresh_from_db()
    assert (task.status, task.overlap, task.answers_count) == (TaskStatus.COMPLETE, 3, 3)
    assert (run.tasks_closed, run.answers_saved, project.answers_saved) == (1, 2, 2)


def test_a_model_sure_of_a_one_vote_lead_does_not_stop_the_task():
    # Two workers who agreed on everything so far make Dawid-Skene sure of their label on the
    # contested task (confidence above the 0.95 target) - the early certainty the replay found
    # often wrong - but the leader is one vote ahead, so the task goes on collecting answers.
    project = ProjectFactory(
        overlap_min=3, overlap_max=5, confidence_target=0.95, aggregation_method="ds"
    )
    tasks = [TaskFactory(project=project, data={"text": f"item {i}"}) for i in range(6)]
    contested = tasks[-1]
    truth = {task.data["text"]: "dog" if i < 2 else "cat" for i, task in enumerate(tasks)}
    first, second, third = WorkerFactory.create_batch(3)
    answer_all(project, [first, second], lambda worker, data: truth[data["text"]])
    answer_all(
        project,
        [third],
        lambda worker, data: "dog" if data == contested.data else truth[data["text"]],
    )

    run = project_aggregate(project_id=project.pk)

    contested.refresh_from_db()
    assert contested.final_label == "cat" and contested.confidence >= 0.95
    assert (contested.status, contested.overlap) == (TaskStatus.OPEN, 5)
    assert run.tasks_closed == 5  # the unanimous ones
    answer_in_turn(project, ["cat", "cat"])  # 4 to 1 and the maximum overlap: closed
    contested.refresh_from_db()
    assert contested.status == TaskStatus.COMPLETE


def test_the_sweep_lists_active_projects_whose_answers_changed_since_their_last_run():
    project = ProjectFactory(overlap_min=3, overlap_max=3)
    TaskFactory(project=project)
    paused = ProjectFactory(overlap_min=1, overlap_max=1)
    TaskFactory(project=paused)
    answer_in_turn(paused, ["cat"])
    paused.status = ProjectStatus.PAUSED
    paused.save(update_fields=["status"])
    assert list(projects_needing_aggregation()) == []

    first, _, _ = answer_in_turn(project, ["cat", "cat", "dog"])
    assert list(projects_needing_aggregation()) == [project.pk]

    project_aggregate(project_id=project.pk)
    assert list(projects_needing_aggregation()) == []

    assignment_reject(assignment_id=first, reason="Not a cat.")
    assert list(projects_needing_aggregation()) == [project.pk]


def test_the_periodic_job_aggregates_each_changed_project_once():
    project = ProjectFactory(overlap_min=3, overlap_max=3)
    task = TaskFactory(project=project)
    answer_in_turn(project, ["dog", "dog", "cat"])

    # Tests run Celery eagerly: the scheduled aggregation runs inside the call.
    assert tasks_aggregation.aggregate_changed_projects() == 1

    task.refresh_from_db()
    assert task.final_label == "dog"
    assert list(projects_needing_aggregation()) == []
    assert tasks_aggregation.aggregate_changed_projects() == 0
