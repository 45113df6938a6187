"""Writers for the results download: one function per file format, each taking the records of
``marketplace.exporting.download.results_records`` (one dict per regular task, in id order) and
yielding the file piece by piece, so a million tasks stream in flat memory. Formats are
described in docs/file-formats.md ("Downloading results").

Pure Python: the writers read only the records and the project's ``template_type`` and
``label_config``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from marketplace.exporting.coco import coco_document
from marketplace.exporting.conll import conll_lines
from marketplace.exporting.label_studio import label_studio_document
from marketplace.exporting.tabular import RESULT_FIELDS, csv_lines, jsonl_lines


@dataclass(frozen=True)
class ExportFormat:
    key: str
    title: str
    content_type: str
    file_suffix: str
    write: Callable[..., Iterator[str]]
    # The template types the format can express; None means every type.
    template_types: frozenset[str] | None = None
    # Whether ``answers=1`` adds each worker's raw answer (tabular formats only).
    raw_answers: bool = False

    def fits(self, template_type: str) -> bool:
        return self.template_types is None or template_type in self.template_types

    def refusal(self, template_type: str) -> str | None:
        """Why this project cannot download the format (None when it can), for the user."""
        if self.fits(template_type):
            return None
        wanted = " or ".join(sorted(self.template_types or ()))
        usable = ", ".join(f.key for f in formats_for(template_type))
        return (
            f"{self.title} is only for {wanted} projects; this is a {template_type} project. "
            f"Download it as {usable}."
        )


FORMATS: dict[str, ExportFormat] = {
    f.key: f
    for f in (
        ExportFormat("csv", "CSV", "text/csv; charset=utf-8", "csv", csv_lines, raw_answers=True),
        ExportFormat(
            "jsonl",
            "JSON Lines",
            "application/x-ndjson; charset=utf-8",
            "jsonl",
            jsonl_lines,
            raw_answers=True,
        ),
        ExportFormat(
            "label_studio",
            "Label Studio JSON",
            "application/json; charset=utf-8",
            "label-studio.json",
            label_studio_document,
        ),
        ExportFormat(
            "coco",
            "COCO JSON",
            "application/json; charset=utf-8",
            "coco.json",
            coco_document,
            frozenset({"bounding_boxes"}),
        ),
        ExportFormat(
            "conll",
            "CoNLL / IOB",
            "text/plain; charset=utf-8",
            "conll",
            conll_lines,
            frozenset({"spans"}),
        ),
    )
}


def formats_for(template_type: str) -> list[ExportFormat]:
    """The formats a project of this template type can download, in menu order."""
    return [f for f in FORMATS.values() if f.fits(template_type)]


__all__ = ["FORMATS", "RESULT_FIELDS", "ExportFormat", "formats_for"]
