"""Structured answers (multi-label, rating, text, spans, boxes) -> final answers per task.

Grouped per task in Python: these projects are far smaller than categorical ones. Each kind's
finaliser returns ``{task id: (final answer, confidence)}``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from marketplace.aggregation.boxes import aggregate_boxes
from marketplace.aggregation.multilabel import aggregate_multilabel
from marketplace.aggregation.numeric import aggregate_numeric
from marketplace.aggregation.spans import aggregate_spans
from marketplace.aggregation.text import aggregate_text
from marketplace.models import Project
from marketplace.services.aggregation_labels import READ_CHUNK, Labels, counted_answers
from marketplace.services.worker_stats import answers_match


def aggregate_structured(project: Project, kind: str, method: str) -> Labels:
    """Final answer and confidence per task for a structured kind; worker agreement."""
    by_task: dict[int, dict[int, Any]] = defaultdict(dict)
    rows = (
        counted_answers(project.pk)
        .filter(is_gold=False)
        .values_list("task_id", "worker_id", "answer")
    )
    count = 0
    for task_id, worker_id, answer in rows.iterator(chunk_size=READ_CHUNK):
        by_task[task_id][worker_id] = answer
        count += 1
    finals = _FINALISERS[kind](by_task, project, method)
    agreed: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for task_id, answers in by_task.items():
        final = finals[task_id][0]
        for worker_id, answer in answers.items():
            agreed[worker_id][0] += answers_match(kind, answer, final)
            agreed[worker_id][1] += 1
    task_ids = sorted(finals)
    confidence = [round(float(finals[task_id][1]), 6) for task_id in task_ids]
    return Labels(
        task_ids=task_ids,
        labels_json=[json.dumps(finals[task_id][0]) for task_id in task_ids],
        confidence=confidence,
        stop_confidence=confidence,
        answers=count,
        agreement={worker: hits / total for worker, (hits, total) in agreed.items()},
        skill={},
    )


def _records(by_task, convert=lambda answer: answer):
    return [
        (task_id, worker_id, convert(answer))
        for task_id, answers in by_task.items()
        for worker_id, answer in answers.items()
    ]


def _final_multilabel(by_task, project, method):
    order = [str(label["value"]) for label in project.label_config.get("labels", [])]
    result = aggregate_multilabel(_records(by_task), method=method)
    finals = {}
    for task_id in by_task:
        chosen = result.labels.get(str(task_id), set())
        certainty = [max(p, 1 - p) for p in result.confidence.get(str(task_id), {}).values()]
        finals[task_id] = (
            [label for label in order if label in chosen] + sorted(chosen - set(order)),
            min(certainty, default=1.0),
        )
    return finals


def _final_numeric(by_task, project, method):
    result = aggregate_numeric(_records(by_task))
    finals = {}
    for task_id in by_task:
        value = result.values[str(task_id)]
        finals[task_id] = (
            int(value) if float(value).is_integer() else value,
            result.confidence[str(task_id)],
        )
    return finals


def _final_text(by_task, project, method):
    result = aggregate_text(_records(by_task))
    return {
        task_id: (result.answers[str(task_id)], result.confidence[str(task_id)])
        for task_id in by_task
    }


def _by_label(by_task, to_shape):
    """Per label: (task, worker, [shapes of that label]); every worker votes on every label."""
    labels = {
        item["label"]
        for answers in by_task.values()
        for answer in answers.values()
        for item in answer
    }
    for label in sorted(labels):
        yield (
            label,
            [
                (task_id, worker_id, [to_shape(item) for item in answer if item["label"] == label])
                for task_id, answers in by_task.items()
                for worker_id, answer in answers.items()
            ],
        )


def _empty_share(answers: dict) -> float:
    """Confidence of an empty final answer: the share of workers who marked nothing."""
    return sum(1 for answer in answers.values() if not answer) / len(answers)


def _final_spans(by_task, project, method):
    found: dict[str, list] = defaultdict(list)
    for label, records in _by_label(by_task, lambda item: (item["start"], item["end"])):
        for task, spans in aggregate_spans(records).spans.items():
            found[task] += [
                ({"start": s, "end": e, "label": label}, share) for s, e, share in spans
            ]
    finals = {}
    for task_id, answers in by_task.items():
        items = sorted(found.get(str(task_id), []), key=lambda x: (x[0]["start"], x[0]["end"]))
        confidence = (
            sum(share for _, share in items) / len(items) if items else _empty_share(answers)
        )
        finals[task_id] = ([item for item, _ in items], confidence)
    return finals


def _final_boxes(by_task, project, method):
    def corners(item):
        return (item["x"], item["y"], item["x"] + item["width"], item["y"] + item["height"])

    found: dict[str, list] = defaultdict(list)
    for label, records in _by_label(by_task, corners):
        for task, boxes in aggregate_boxes(records).boxes.items():
            found[task] += [
                (
                    {"x": x1, "y": y1, "width": x2 - x1, "height": y2 - y1, "label": label},
                    share,
                )
                for (x1, y1, x2, y2), share in boxes
            ]
    finals = {}
    for task_id, answers in by_task.items():
        items = found.get(str(task_id), [])
        confidence = (
            sum(share for _, share in items) / len(items) if items else _empty_share(answers)
        )
        finals[task_id] = ([item for item, _ in items], confidence)
    return finals


_FINALISERS = {
    "multi_label": _final_multilabel,
    "numeric": _final_numeric,
    "text": _final_text,
    "spans": _final_spans,
    "boxes": _final_boxes,
}
