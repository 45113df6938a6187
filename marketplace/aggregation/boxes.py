"""Bounding boxes: cluster by IoU, then take coordinate medians.

Boxes are ``(x1, y1, x2, y2)``. Per task, boxes are clustered greedily: each box joins the
cluster whose current median box it overlaps most, if that IoU >= ``iou_threshold`` (default
0.5) and the cluster has no box from the same worker; otherwise it starts a cluster. A cluster
supported by at least ``min_share`` of the task's workers becomes an object with the
coordinate-wise median box; confidence is the share of workers who drew it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


@dataclass
class BoxResult:
    boxes: dict[str, list[tuple[tuple[float, float, float, float], float]]]


def aggregate_boxes(records, *, iou_threshold: float = 0.5, min_share: float = 0.5) -> BoxResult:
    """``records``: (task, worker, list of boxes). Duplicates: the last answer wins."""
    by_task: dict[str, dict[str, list]] = {}
    for task, worker, boxes in records:
        by_task.setdefault(str(task), {})[str(worker)] = [tuple(map(float, b)) for b in boxes]
    out = {}
    for task, answers in by_task.items():
        clusters: list[dict] = []
        for worker, boxes in answers.items():
            for box in boxes:
                best, best_iou = None, iou_threshold
                for cluster in clusters:
                    overlap = iou(box, cluster["centre"])
                    if worker not in cluster["workers"] and overlap >= best_iou:
                        best, best_iou = cluster, overlap
                if best is None:
                    clusters.append({"boxes": [box], "workers": {worker}, "centre": box})
                else:
                    best["boxes"].append(box)
                    best["workers"].add(worker)
                    best["centre"] = tuple(np.median(np.array(best["boxes"]), axis=0))
        n = len(answers)
        out[task] = [
            (tuple(float(v) for v in c["centre"]), len(c["workers"]) / n)
            for c in clusters
            if len(c["workers"]) / n >= min_share
        ]
    return BoxResult(out)
