"""Multi-label answers (a set of labels per answer): one binary vote per label.

Each label is decided independently: for label j, every answer on the task is a yes/no vote
("j is in the set"), aggregated with a binary categorical method (majority vote by default, or
``"ds"`` for a per-label Dawid-Skene that learns each worker's false-positive and miss rates).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import METHODS
from .encoding import encode_answers


@dataclass
class MultiLabelResult:
    labels: dict[str, set[str]]
    confidence: dict[str, dict[str, float]]


def aggregate_multilabel(records, *, method: str = "mv", seed: int = 0) -> MultiLabelResult:
    """``records``: (task, worker, iterable of labels). Duplicates: the last answer wins."""
    last: dict[tuple[str, str], frozenset[str]] = {}
    for task, worker, chosen in records:
        last[(str(task), str(worker))] = frozenset(map(str, chosen))
    vocabulary = sorted(set().union(*last.values())) if last else []
    labels = {task: set() for task, _ in last}
    confidence: dict[str, dict[str, float]] = {task: {} for task, _ in last}
    for label in vocabulary:
        votes = [(t, w, "1" if label in s else "0") for (t, w), s in last.items()]
        encoded = encode_answers(votes, labels=["0", "1"])
        result = METHODS[method](**encoded.arrays(), seed=seed)
        for i, task in enumerate(encoded.tasks):
            yes = float(result.posteriors[i, 1])
            confidence[task][label] = yes
            if result.labels[i] == 1:
                labels[task].add(label)
    return MultiLabelResult(labels, confidence)
