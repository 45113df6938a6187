"""Character spans (e.g. named-entity highlights): token-level majority vote.

Each answer is a list of ``(start, end)`` character spans (end exclusive) over the task's text.
Every character position gets a vote from each worker who covered it; positions covered by more
than ``threshold`` (default half) of the task's workers are kept and merged into spans. A span's
confidence is the mean vote share over its characters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class SpanResult:
    spans: dict[str, list[tuple[int, int, float]]]


def aggregate_spans(records, *, threshold: float = 0.5) -> SpanResult:
    """``records``: (task, worker, list of (start, end)). Duplicates: the last answer wins."""
    by_task: dict[str, dict[str, list[tuple[int, int]]]] = {}
    for task, worker, spans in records:
        by_task.setdefault(str(task), {})[str(worker)] = [(int(s), int(e)) for s, e in spans]
    out: dict[str, list[tuple[int, int, float]]] = {}
    for task, answers in by_task.items():
        length = max((e for spans in answers.values() for _, e in spans), default=0)
        votes = np.zeros(length + 1)
        for spans in answers.values():
            covered = np.zeros(length + 1, dtype=bool)
            for start, end in spans:
                covered[start:end] = True
            votes += covered
        share = votes / len(answers)
        keep = np.concatenate([[False], share > threshold, [False]])
        edges = np.flatnonzero(np.diff(keep.astype(np.int8)))
        out[task] = [
            (int(s), int(e), float(share[s:e].mean()))
            for s, e in zip(edges[::2], edges[1::2], strict=False)
        ]
    return SpanResult(out)
