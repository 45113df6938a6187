"""Label Studio JSON: the final labels as *predictions* on Label Studio tasks, ready to import
for review (https://labelstud.io/guide/predictions). One task per regular task::

    {"id": 12, "data": {...the task's data...}, "meta": {...Quorum's record...},
     "predictions": [{"model_version": "quorum-auto", "score": 0.93, "result": [...]}]}

``result`` items use the control names of the labelling configs in docs/file-formats.md
(``label``, ``answer``, ``rating``, ``pairwise``) and point at the ``text`` or ``image``
object. A task without a final label yet has no prediction. The whole record (label,
confidence, answers count, method, external id) is also under ``meta``, which keeps what
Label Studio has no shape for: a pairwise tie.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from marketplace.exporting.common import image_size, json_array

PAIRWISE_SIDES = {"a": "left", "b": "right"}  # a tie has no side: an empty result


def _percent(fraction: float) -> float:
    # Rounded so 0.1 comes out as 10.0 rather than 10.000000000000002.
    return round(fraction * 100, 6)


def _object_name(data: Mapping) -> str:
    """The Label Studio object a task-level answer belongs to: its text, else its image."""
    return "text" if data.get("text") else "image"


def _results(template_type: str, label: Any, data: Mapping) -> list[dict]:
    """The final label as Label Studio result items (without ids)."""
    target = _object_name(data)
    if template_type == "classification":
        return [_item("label", target, "choices", {"choices": [label]})]
    if template_type == "multi_label":
        return [_item("label", target, "choices", {"choices": list(label)})] if label else []
    if template_type == "free_text":
        return [_item("answer", target, "textarea", {"text": [label]})]
    if template_type == "rating":
        return [_item("rating", target, "rating", {"rating": label})]
    if template_type == "pairwise":
        side = PAIRWISE_SIDES.get(label)
        return [_item("pairwise", "pairwise", "pairwise", {"selected": side})] if side else []
    if template_type == "spans":
        text = data.get("text") or ""
        return [
            _item(
                "label",
                "text",
                "labels",
                {
                    "start": span["start"],
                    "end": span["end"],
                    "text": text[span["start"] : span["end"]],
                    "labels": [span["label"]],
                },
            )
            for span in label
        ]
    if template_type == "bounding_boxes":
        size = image_size(data)
        original = {"original_width": size[0], "original_height": size[1]} if size else {}
        return [
            {
                **_item(
                    "label",
                    "image",
                    "rectanglelabels",
                    {
                        "x": _percent(box["x"]),
                        "y": _percent(box["y"]),
                        "width": _percent(box["width"]),
                        "height": _percent(box["height"]),
                        "rotation": 0,
                        "rectanglelabels": [box["label"]],
                    },
                ),
                **original,
                "image_rotation": 0,
            }
            for box in label
        ]
    raise ValueError(f"no Label Studio shape for {template_type!r} tasks")


def _item(from_name: str, to_name: str, kind: str, value: dict) -> dict:
    return {"from_name": from_name, "to_name": to_name, "type": kind, "value": value}


def label_studio_task(record: dict, template_type: str) -> dict:
    task = {
        "id": record["task_id"],
        "data": record["data"],
        "meta": {
            "external_id": record["external_id"],
            "label": record["label"],
            "confidence": record["confidence"],
            "answers_count": record["answers_count"],
            "method": record["method"],
        },
        "predictions": [],
    }
    if record["label"] is not None:
        results = _results(template_type, record["label"], record["data"])
        for index, result in enumerate(results):
            # Region ids must be unique within a prediction; these are also stable.
            result["id"] = f"q{record['task_id']}-{index}"
        task["predictions"].append(
            {
                "model_version": f"quorum-{record['method'] or 'unknown'}",
                "score": record["confidence"],
                "result": results,
            }
        )
    return task


def label_studio_document(records: Iterator[dict], *, project, with_answers: bool) -> Iterator[str]:
    """A JSON array of Label Studio tasks, written task by task."""
    template_type = project.template_type
    return json_array(label_studio_task(record, template_type) for record in records)
