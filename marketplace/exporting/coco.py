"""COCO object detection JSON for bounding-box projects (https://cocodataset.org/#format-data):
``{"images": [...], "annotations": [...], "categories": [...]}``.

- images: one per task with a final label (an empty final label is an image with nothing on
  it; a task not aggregated yet is left out). ``id`` is the task id, ``file_name`` the image
  URL; ``width``/``height`` only when the task data has them.
- annotations: one per final box. COCO's ``bbox`` is ``[x, y, width, height]`` in pixels from
  the top-left corner, so it is there only when the image size is known. ``bbox_relative`` is
  always there: the same box as fractions of the image (0..1), Quorum's own unit. ``score`` is
  the task's final-label confidence.
- categories: the project's labels in config order, ids from 1 (then any other label met).

Streaming: COCO puts every image before every annotation, but both come from the same task.
The images are written as the tasks are read, and the annotations go to a temporary file that
follows them; memory stays flat, the disk holds one copy of the annotations.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator

from marketplace.exporting.common import image_size

SPOOL_READ = 64 * 1024


def _pixels(value: float) -> float:
    return round(value, 2)


def coco_annotations(record: dict, *, first_id: int, categories: dict[str, int]) -> list[dict]:
    """The final boxes of one task; ``categories`` gains any label it does not know yet."""
    size = image_size(record["data"])
    annotations = []
    for offset, box in enumerate(record["label"]):
        category = categories.setdefault(box["label"], len(categories) + 1)
        relative = [box["x"], box["y"], box["width"], box["height"]]
        annotation = {
            "id": first_id + offset,
            "image_id": record["task_id"],
            "category_id": category,
            "iscrowd": 0,
            "score": record["confidence"],
            "bbox_relative": relative,
        }
        if size:
            width, height = size
            bbox = [
                _pixels(box["x"] * width),
                _pixels(box["y"] * height),
                _pixels(box["width"] * width),
                _pixels(box["height"] * height),
            ]
            annotation["bbox"] = bbox
            annotation["area"] = _pixels(bbox[2] * bbox[3])
        annotations.append(annotation)
    return annotations


def coco_image(record: dict) -> dict:
    data = record["data"]
    image = {"id": record["task_id"], "file_name": data.get("image_url", "")}
    size = image_size(data)
    if size:
        image["width"], image["height"] = size
    if record["external_id"]:
        image["external_id"] = record["external_id"]
    return image


def coco_document(records: Iterator[dict], *, project, with_answers: bool) -> Iterator[str]:
    categories = {
        label["value"]: index
        for index, label in enumerate(project.label_config.get("labels", []), start=1)
    }
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        yield '{"images": ['
        image_separator = annotation_separator = "\n"
        next_id = 1
        for record in records:
            if record["label"] is None:
                continue
            yield image_separator + json.dumps(coco_image(record), ensure_ascii=False)
            image_separator = ",\n"
            for annotation in coco_annotations(record, first_id=next_id, categories=categories):
                spool.write(annotation_separator + json.dumps(annotation))
                annotation_separator = ",\n"
                next_id += 1
        yield '\n],\n"annotations": ['
        spool.seek(0)
        while chunk := spool.read(SPOOL_READ):
            yield chunk
    names = [{"id": index, "name": name} for name, index in categories.items()]
    yield '\n],\n"categories": ' + json.dumps(names, ensure_ascii=False) + "}\n"
