import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.models import ImportMode, ImportStatus, ProjectStatus, Task
from marketplace.services.import_writers import json_text
from marketplace.services.imports import ImportRefusedError, import_start
from marketplace.services.projects import project_archive, project_complete, project_publish

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


# -- external ids repeated within a file: found by the database, every one reported ------------


def test_repeated_ids_in_a_first_import_are_each_named_and_nothing_is_written(project):
    rows = [("a", "one", ""), ("b", "", ""), ("a", "two", ""), ("c", "x", ""), ("a", "3", "")]
    batch = run(project, csv_upload(rows))
    assert batch.status == ImportStatus.FAILED
    assert Task.objects.count() == 0
    assert [(e["line"], e["field"], e["message"]) for e in batch.errors] == [
        (3, "text", batch.errors[0]["message"]),
        (4, "external_id", "external_id 'a' already on line 2"),
        (6, "external_id", "external_id 'a' already on line 2"),
    ]
    assert batch.rows_rejected == 3
    assert batch.error_message.startswith("3 of 5 rows have problems")


def test_skipping_bad_rows_keeps_the_first_of_each_repeated_id_and_lists_the_rest(
    project, client, requester
):
    rows = [
        ("a", "first", ""),
        ("b", "", ""),
        ("a", "again", "cat"),
        ("c", "x", ""),
        ("a", "3", ""),
    ]
    batch = run(project, csv_upload(rows), mode=ImportMode.SKIP_BAD_ROWS)
    assert batch.status == ImportStatus.SUCCEEDED
    assert (batch.rows_read, batch.rows_accepted, batch.rows_rejected) == (5, 2, 3)
    assert batch.rows_already_present == 0
    assert dict(Task.objects.values_list("external_id", "data")) == {
        "a": {"text": "first"},
        "c": {"text": "x"},
    }
    project.refresh_from_db()
    assert (project.tasks_count, project.gold_tasks_count) == (2, 0)
    client.force_login(requester)
    response = client.get(f"/requester/imports/{batch.pk}/rejected/")
    rejected = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row[0] for row in rejected[1:]] == ["3", "4", "6"]  # line order, both kinds merged
    assert rejected[2] == [
        "4",
        "external_id: external_id 'a' already on line 2",
        "a",
        "again",
        "cat",
    ]
    assert rejected[3][2:] == ["a", "3", ""]


def test_repeated_ids_in_a_reimport_are_named_and_known_ids_still_skipped(project):
    run(project, csv_upload([("a", "one", ""), ("b", "two", "")]))
    rows = [("a", "one", ""), ("c", "three", ""), ("c", "again", ""), ("d", "four", "")]
    failed = run(project, csv_upload(rows))
    assert failed.status == ImportStatus.FAILED
    assert [(e["line"], e["message"]) for e in failed.errors] == [
        (4, "external_id 'c' already on line 3")
    ]
    assert Task.objects.count() == 2

    skipped = run(project, csv_upload(rows), mode=ImportMode.SKIP_BAD_ROWS)
    assert skipped.status == ImportStatus.SUCCEEDED
    assert (skipped.rows_accepted, skipped.rows_rejected, skipped.rows_already_present) == (2, 1, 1)
    assert sorted(Task.objects.values_list("external_id", flat=True)) == ["a", "b", "c", "d"]
    assert Task.objects.get(external_id="c").data == {"text": "three"}


def test_jsonl_ids_repeat_whether_written_as_numbers_or_text(project):
    lines = [{"text": "a", "id": 1}, {"text": "b", "id": "2"}, {"text": "c", "id": "1"}]
    body = "\n".join(json.dumps(line) for line in lines).encode()
    batch = run(project, SimpleUploadedFile("tasks.jsonl", body), mode=ImportMode.SKIP_BAD_ROWS)
    assert batch.status == ImportStatus.SUCCEEDED
    assert batch.errors == [
        {"line": 3, "field": "external_id", "message": "external_id '1' already on line 1"}
    ]
    assert sorted(Task.objects.values_list("external_id", flat=True)) == ["1", "2"]
    rejected = list(csv.reader(io.StringIO(batch.rejected_file.open("rb").read().decode())))
    assert rejected == [
        ["line", "problems", "raw"],
        ["3", "external_id: external_id '1' already on line 1", '{"text": "c", "id": "1"}'],
    ]


def test_rows_without_an_id_never_count_as_repeats(project):
    batch = run(project, csv_upload([("", "one", ""), ("", "two", "")]))
    assert batch.status == ImportStatus.SUCCEEDED
    assert batch.rows_accepted == 2


def test_a_project_closed_while_its_file_waits_for_the_worker_takes_none_of_it(
    project, settings, django_capture_on_commit_callbacks
):
    run(project, csv_upload([("a", "one", ""), ("b", "two", "cat")]))
    project = project_publish(project=project)
    settings.IMPORT_BACKGROUND_BYTES = 10
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        batch = run(project, csv_upload([("c", "three", "")]))
    project_complete(project=project)
    for callback in callbacks:
        callback()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
    assert batch.error_message == "A completed project takes no more tasks."
    assert Task.objects.count() == 2


@pytest.mark.parametrize(
    "value",
    [{"text": 'é "quoted"\n\ttab', "n": 1, "x": 1.5, "l": [1, None, True]}, "cat", 4, [], {}],
)
def test_the_copy_path_writes_json_exactly_as_json_dumps(value):
    assert json_text(value) == json.dumps(value)
