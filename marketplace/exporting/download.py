"""The streamed results download that the results page and the API share: records read in keyset
batches at constant memory, written in the chosen format."""

from collections import defaultdict
from collections.abc import Iterator

from django.conf import settings
from django.http import StreamingHttpResponse

from marketplace.exporting import FORMATS, RESULT_FIELDS
from marketplace.models import Assignment, AssignmentStatus, Project, ReviewStatus, Task

EXPORT_CHUNK = 2_000


def _answers_of(task_ids: list[int], *, include_rejected: bool) -> dict[int, list[dict]]:
    by_task: dict[int, list[dict]] = defaultdict(list)
    answers = Assignment.objects.filter(task_id__in=task_ids, status=AssignmentStatus.SUBMITTED)
    if not include_rejected:
        answers = answers.exclude(review_status=ReviewStatus.REJECTED)
    rows = answers.order_by("task_id", "submitted_at", "id").values_list(
        "task_id", "worker_id", "answer", "review_status", "duration_ms"
    )
    for task_id, worker_id, answer, review_status, duration_ms in rows:
        by_task[task_id].append(
            {
                "worker_id": worker_id,
                "answer": answer,
                "review_status": review_status,
                "duration_ms": duration_ms,
            }
        )
    return by_task


def results_records(
    *,
    project: Project,
    with_answers: bool,
    include_rejected: bool = False,
    batch_size: int | None = None,
) -> Iterator[dict]:
    """One record per regular task in id order, read in keyset batches (``id > last id`` on
    the task_project_id index): each batch is one short query, so memory stays flat at a
    million tasks and nothing stays open on the database while a slow client reads. Each
    batch's answers come in one query; rejected answers only when ``include_rejected`` is asked
    for (they are not evidence the requester accepted). ``batch_size`` defaults to the
    RESULTS_EXPORT_BATCH setting, else EXPORT_CHUNK."""
    batch_size = batch_size or getattr(settings, "RESULTS_EXPORT_BATCH", None) or EXPORT_CHUNK
    tasks = (
        Task.objects.filter(project=project, is_gold=False)
        .order_by("id")
        .values_list(
            "id",
            "external_id",
            "data",
            "final_label",
            "confidence",
            "answers_count",
            "aggregation_method",
        )
    )
    last_id = 0
    while batch := list(tasks.filter(id__gt=last_id)[:batch_size]):
        answers = (
            _answers_of([row[0] for row in batch], include_rejected=include_rejected)
            if with_answers
            else {}
        )
        for row in batch:
            record = dict(zip(RESULT_FIELDS, row, strict=True))
            if with_answers:
                record["answers"] = answers.get(row[0], [])
            yield record
        if len(batch) < batch_size:
            break
        last_id = batch[-1][0]


def results_response(
    *, project: Project, fmt: str, with_answers: bool, include_rejected: bool = False
) -> StreamingHttpResponse:
    """The streamed file in ``fmt``, a key of ``marketplace.exporting.FORMATS`` that fits the
    project's template type (callers check both). ``with_answers`` applies to csv and jsonl."""
    export = FORMATS[fmt]
    with_answers = with_answers and export.raw_answers
    records = results_records(
        project=project, with_answers=with_answers, include_rejected=include_rejected
    )
    body = export.write(records, project=project, with_answers=with_answers)
    response = StreamingHttpResponse(body, content_type=export.content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="results-{project.pk}.{export.file_suffix}"'
    )
    return response
