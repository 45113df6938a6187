"""Numeric answers: a robust centre per task.

The centre is the median (``method="median"``) or a symmetric trimmed mean (``"trimmed"``,
dropping ``trim`` of the answers at each end). Confidence comes from the spread:
``1 / (1 + MAD / scale)`` with MAD the median absolute deviation and ``scale`` the typical size
of the answers (median |x|, or 1), so unanimous answers give 1 and wild disagreement tends to 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class NumericResult:
    values: dict[str, float]
    confidence: dict[str, float]


def aggregate_numeric(records, *, method: str = "median", trim: float = 0.2) -> NumericResult:
    """``records``: (task, worker, value). Duplicate (task, worker) answers: the last wins."""
    by_task: dict[str, dict[str, float]] = {}
    for task, worker, value in records:
        by_task.setdefault(str(task), {})[str(worker)] = float(value)
    values, confidence = {}, {}
    for task, answers in by_task.items():
        x = np.sort(np.fromiter(answers.values(), dtype=float))
        if method == "trimmed":
            cut = int(len(x) * trim)
            centre = (
                float(x[cut : len(x) - cut].mean()) if len(x) > 2 * cut else float(np.median(x))
            )
        else:
            centre = float(np.median(x))
        mad = float(np.median(np.abs(x - np.median(x))))
        scale = max(float(np.median(np.abs(x))), 1e-9) if np.any(x) else 1.0
        values[task] = centre
        confidence[task] = 1.0 / (1.0 + mad / scale) if len(x) > 1 else 0.5
    return NumericResult(values, confidence)
