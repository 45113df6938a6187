"""Results download: final labels as CSV and JSONL, streamed in chunks, from the project's
results page and the API, with the raw answers on request."""

import csv
import io
import json

import pytest

from marketplace.exporting import download as views_results
from marketplace.models import Assignment
from marketplace.services import assignments as assignments_service
from marketplace.services.aggregation import project_aggregate
from marketplace.services.assignments import assignment_claim, assignment_submit
from marketplace.services.reviews import assignment_reject
from tests.marketplace.factories import ProjectFactory, TaskFactory, WorkerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_gold_ratios():
    assignments_service._gold_ratios.clear()


@pytest.fixture
def labelled(requester):
    """Two regular tasks answered by three workers (2 x cat, 1 x dog each) and a gold task."""
    project = ProjectFactory(
        account=requester.requester_account, overlap_min=3, overlap_max=3, aggregation_method="mv"
    )
    first = TaskFactory(project=project, external_id="img-1", data={"text": "first"})
    second = TaskFactory(project=project, external_id="img-2", data={"text": "second"})
    TaskFactory(project=project, gold=True)
    workers = WorkerFactory.create_batch(3)
    for index, worker in enumerate(workers):
        while claimed := assignment_claim(worker=worker, project=project):
            answer = "dog" if index == 2 else "cat"
            assignment_submit(worker=worker, assignment_id=claimed.assignment_id, answer=answer)
    project_aggregate(project_id=project.pk)
    return project, first, second, workers


def body(response) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode()


def test_the_csv_download_has_one_row_per_regular_task_with_its_label(client, requester, labelled):
    project, first, _second, _ = labelled
    client.force_login(requester)

    response = client.get(f"/requester/projects/{project.pk}/results/download/?format=csv")

    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="results-{project.pk}.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(body(response))))
    assert [row["external_id"] for row in rows] == ["img-1", "img-2"]  # gold is left out
    assert rows[0]["task_id"] == str(first.pk)
    assert json.loads(rows[0]["data"]) == {"text": "first"}
    assert (rows[0]["label"], rows[0]["answers_count"], rows[0]["method"]) == ("cat", "3", "mv")
    assert float(rows[0]["confidence"]) == pytest.approx(2 / 3, abs=1e-6)
    assert "answers" not in rows[0]


def test_jsonl_with_answers_carries_every_raw_answer(client, requester, labelled):
    project, first, _, workers = labelled
    client.force_login(requester)

    response = client.get(
        f"/requester/projects/{project.pk}/results/download/?format=jsonl&answers=1"
    )

    records = [json.loads(line) for line in body(response).splitlines()]
    assert len(records) == 2
    assert records[0]["task_id"] == first.pk and records[0]["label"] == "cat"
    answers = records[0]["answers"]
    assert sorted(a["answer"] for a in answers) == ["cat", "cat", "dog"]
    assert {a["worker_id"] for a in answers} == {w.pk for w in workers}
    assert all(a["review_status"] == "pending" for a in answers)


def test_the_api_streams_csv_and_jsonl_and_refuses_other_formats(api_client, requester, labelled):
    project = labelled[0]
    api_client.force_authenticate(requester)
    url = f"/api/v1/projects/{project.pk}/results/"

    csv_text = body(api_client.get(url, {"format": "csv", "answers": 1}))
    header = next(csv.reader(io.StringIO(csv_text)))
    assert header[-1] == "answers" and header[0] == "task_id"
    jsonl = body(api_client.get(url, {"format": "jsonl"}))
    assert [json.loads(line)["external_id"] for line in jsonl.splitlines()] == ["img-1", "img-2"]

    refused = api_client.get(url, {"format": "xlsx"})
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {
        "format": ["one of csv, jsonl, label_studio, coco, conll"]
    }


def test_another_organisation_cannot_download_the_results(api_client, other_requester, labelled):
    api_client.force_authenticate(other_requester)
    response = api_client.get(f"/api/v1/projects/{labelled[0].pk}/results/", {"format": "csv"})
    assert response.status_code == 404


def test_the_export_reads_tasks_and_answers_chunk_by_chunk(
    monkeypatch, labelled, django_assert_max_num_queries
):
    project = labelled[0]
    TaskFactory.create_batch(3, project=project)
    monkeypatch.setattr(views_results, "EXPORT_CHUNK", 2)

    with django_assert_max_num_queries(12):
        records = list(views_results.results_records(project=project, with_answers=True))

    assert len(records) == 5
    assert [r["task_id"] for r in records] == sorted(r["task_id"] for r in records)
    assert records[-1]["label"] is None and records[-1]["answers"] == []


def test_the_project_page_links_to_results_and_workers(client, requester, labelled):
    project = labelled[0]
    client.force_login(requester)

    detail = client.get(f"/requester/projects/{project.pk}/").content.decode()
    assert f"/requester/projects/{project.pk}/results/" in detail
    assert f"/requester/projects/{project.pk}/workers/" in detail
    results = client.get(f"/requester/projects/{project.pk}/results/").content.decode()
    assert "answers saved by dynamic overlap" in results and "img-1" in results


def test_rerunning_from_the_results_page_switches_the_method(client, requester, labelled):
    project, first, _, _ = labelled
    client.force_login(requester)

    response = client.post(f"/requester/projects/{project.pk}/aggregate/", {"method": "ds"})

    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.aggregation_method, first.final_label) == ("ds", "cat")


def test_rejected_answers_are_left_out_of_the_export_unless_asked_for(
    api_client, requester, labelled
):
    project, first, _, _workers = labelled
    dog = Assignment.objects.get(task=first, answer="dog")
    assignment_reject(assignment_id=dog.pk, project=project, reason="Not a dog.")
    api_client.force_authenticate(requester)
    url = f"/api/v1/projects/{project.pk}/results/"

    default = [
        json.loads(line)
        for line in body(api_client.get(url, {"format": "jsonl", "answers": 1})).splitlines()
    ]
    assert sorted(a["answer"] for a in default[0]["answers"]) == ["cat", "cat"]

    asked = body(api_client.get(url, {"format": "jsonl", "answers": 1, "rejected": 1}))
    answers = next(json.loads(line) for line in asked.splitlines())["answers"]
    assert sorted(a["answer"] for a in answers) == ["cat", "cat", "dog"]
    assert [a["review_status"] for a in answers if a["answer"] == "dog"] == ["rejected"]
