import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.models import ImportMode, ImportStatus, ProjectStatus, Task
from marketplace.services.imports import ImportRefusedError, import_start
from marketplace.services.projects import project_archive, project_publish

pytestmark = pytest.mark.django_db


def csv_upload(rows, name="tasks.csv", header=("external_id", "text", "gold_answer")):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode(), content_type="text/csv")


def run(project, upload, **options):
    return import_start(project=project, uploaded_by=None, upload=upload, **options)


def test_a_csv_with_gold_imports_every_row_and_counts_them(project):
    batch = run(project, csv_upload([("a", "a cat", ""), ("b", "a dog", "dog"), ("c", "x", "")]))
    assert batch.status == ImportStatus.SUCCEEDED
    assert (batch.rows_read, batch.rows_accepted, batch.gold_accepted) == (3, 3, 1)
    project.refresh_from_db()
    assert (project.tasks_count, project.gold_tasks_count) == (3, 1)
    gold = Task.objects.get(external_id="b")
    assert gold.is_gold and gold.gold_answer == "dog" and gold.data == {"text": "a dog"}
    assert set(Task.objects.values_list("overlap", flat=True)) == {project.overlap_max}


def test_jsonl_imports_nested_and_flat_objects(project):
    lines = [
        {"data": {"text": "one"}, "external_id": "1"},
        {"text": "two", "external_id": "2", "gold_answer": "bird", "gold_explanation": "wings"},
    ]
    body = "\n".join(json.dumps(line) for line in lines).encode()
    batch = run(project, SimpleUploadedFile("tasks.jsonl", body))
    assert batch.status == ImportStatus.SUCCEEDED, batch.errors
    assert batch.rows_accepted == 2
    assert Task.objects.get(external_id="2").gold_explanation == "wings"


def test_one_bad_row_rejects_the_whole_file_and_reports_every_bad_row(project):
    rows = [("a", "fine", ""), ("b", "", ""), ("c", "fine", "zebra"), ("d", "fine", "")]
    batch = run(project, csv_upload(rows))
    assert batch.status == ImportStatus.FAILED
    assert Task.objects.count() == 0
    project.refresh_from_db()
    assert project.tasks_count == 0
    assert [(error["line"], error["field"]) for error in batch.errors] == [
        (3, "text"),
        (4, "gold_answer"),
    ]
    assert "nothing was imported" in batch.error_message
    assert "zebra" in batch.errors[1]["message"]


def test_skip_bad_rows_keeps_the_good_ones_and_offers_the_rejected_for_download(
    project, client, requester
):
    rows = [("a", "fine", ""), ("b", "", ""), ("c", "also fine", "zebra"), ("d", "ok", "")]
    batch = run(project, csv_upload(rows), mode=ImportMode.SKIP_BAD_ROWS)
    assert batch.status == ImportStatus.SUCCEEDED
    assert (batch.rows_accepted, batch.rows_rejected) == (2, 2)
    assert sorted(Task.objects.values_list("external_id", flat=True)) == ["a", "d"]
    client.force_login(requester)
    response = client.get(f"/requester/imports/{batch.pk}/rejected/")
    rejected = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rejected[0] == ["line", "problems", "external_id", "text", "gold_answer"]
    assert [row[0] for row in rejected[1:]] == ["3", "4"]
    assert rejected[2][2:] == ["c", "also fine", "zebra"]


def test_reimporting_the_same_file_adds_nothing(project):
    rows = [("a", "one", ""), ("b", "two", "cat")]
    run(project, csv_upload(rows))
    again = run(project, csv_upload([*rows, ("c", "three", "")]))
    assert again.status == ImportStatus.SUCCEEDED
    assert (again.rows_accepted, again.rows_already_present) == (1, 2)
    project.refresh_from_db()
    assert (project.tasks_count, project.gold_tasks_count) == (3, 1)
    assert Task.objects.count() == 3


def test_a_gold_upload_requires_a_gold_answer_on_every_row(project):
    batch = run(project, csv_upload([("a", "one", "cat"), ("b", "two", "")]), gold_only=True)
    assert batch.status == ImportStatus.FAILED
    assert [(error["line"], error["field"]) for error in batch.errors] == [(3, "gold_answer")]


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("tasks.csv", b"", "empty"),
        ("tasks.xlsx", b"PK\x03\x04", "format"),
        ("tasks.csv", b"text\n\xff\xfe broken\n", "UTF-8"),
        ("tasks.csv", b"text\nabc\x00def\n", "binary"),
        ("tasks.csv", b"label,comment\ncat,x\n", "text"),
    ],
)
def test_bad_files_get_a_clear_error_and_write_nothing(project, name, body, message):
    upload = SimpleUploadedFile(name, body)
    try:
        batch = run(project, upload)
    except ImportRefusedError as error:
        assert message.lower() in str(error).lower()
    else:
        assert batch.status == ImportStatus.FAILED
        assert message.lower() in batch.error_message.lower()
    assert Task.objects.count() == 0


def test_files_above_the_limit_are_refused(project, settings):
    settings.IMPORT_MAX_BYTES = 100
    with pytest.raises(ImportRefusedError, match="limit"):
        run(project, csv_upload([(str(n), "x" * 20, "") for n in range(10)]))


def test_large_files_import_in_the_background_after_commit(
    project, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_BACKGROUND_BYTES = 10  # everything counts as large; Celery runs eagerly here
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        batch = run(project, csv_upload([(str(n), f"row {n}", "") for n in range(50)]))
    assert batch.status == ImportStatus.PENDING
    assert Task.objects.count() == 0
    for callback in callbacks:
        callback()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.SUCCEEDED
    assert batch.rows_accepted == 50


def test_a_closed_project_takes_no_more_tasks(project):
    run(project, csv_upload([("a", "one", ""), ("b", "two", "cat")]))
    project_publish(project=project)
    project.status = ProjectStatus.COMPLETED
    project.save()
    project = project_archive(project=project)
    with pytest.raises(ImportRefusedError, match="archived"):
        run(project, csv_upload([("c", "three", "")]))
