"""CSV and JSON Lines: one row or line per task, the raw answers on request. The CSV goes
through ``config.csv_safe``: a label, id or answer that starts like a formula is written with a
leading ``'`` (docs/security.md, "CSV formula injection")."""

from __future__ import annotations

import json
from collections.abc import Iterator

from config.csv_safe import csv_safe_writer

RESULT_FIELDS = [
    "task_id",
    "external_id",
    "data",
    "label",
    "confidence",
    "answers_count",
    "method",
]


class _Echo:
    def write(self, value):
        return value


def _csv_cell(value):
    return value if isinstance(value, str) or value is None else json.dumps(value)


def csv_lines(records: Iterator[dict], *, project, with_answers: bool) -> Iterator[str]:
    writer = csv_safe_writer(_Echo())
    yield writer.writerow(RESULT_FIELDS + (["answers"] if with_answers else []))
    for record in records:
        cells = [
            record["task_id"],
            record["external_id"],
            json.dumps(record["data"]),
            _csv_cell(record["label"]),
            "" if record["confidence"] is None else round(record["confidence"], 6),
            record["answers_count"],
            record["method"],
        ]
        if with_answers:
            cells.append(json.dumps(record["answers"]))
        yield writer.writerow(cells)


def jsonl_lines(records: Iterator[dict], *, project, with_answers: bool) -> Iterator[str]:
    for record in records:
        yield json.dumps(record, ensure_ascii=False) + "\n"
