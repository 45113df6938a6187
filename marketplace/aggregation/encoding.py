"""Turn string answer records into the integer arrays every aggregation method takes.

Every categorical method works on three parallel integer arrays (``task_idx``, ``worker_idx``,
``label_idx``) plus the sizes ``n_tasks``, ``n_workers``, ``n_labels``. This module builds them
from ``(task, worker, label)`` string records, keeps the vocabularies needed to decode results,
and applies the duplicate-answer policy.

Duplicate-answer policy (the same worker answering the same task more than once): **the last
answer in input order wins** and earlier ones are dropped before any method sees the data. This
mirrors the platform, where ``UniqueConstraint(task, worker)`` allows one answer per pair and a
resubmission replaces the earlier answer. Counting a worker twice would give that worker a
double vote on one task, which no model here assumes. :func:`keep_last_answer` applies the policy
to already-encoded arrays, and every method calls it, so array callers get the same behaviour.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class EncodedAnswers:
    """Integer-encoded answers plus the vocabularies to decode them.

    ``tasks[i]`` is the external id of task index ``i``; likewise ``workers`` and ``labels``.
    ``gold`` maps task index -> label index for tasks whose true label is known.
    """

    task_idx: np.ndarray
    worker_idx: np.ndarray
    label_idx: np.ndarray
    tasks: list[str]
    workers: list[str]
    labels: list[str]
    gold: dict[int, int] = field(default_factory=dict)
    duplicates_dropped: int = 0

    @property
    def n_tasks(self) -> int:
        return len(self.tasks)

    @property
    def n_workers(self) -> int:
        return len(self.workers)

    @property
    def n_labels(self) -> int:
        return len(self.labels)

    @property
    def n_answers(self) -> int:
        return int(self.task_idx.shape[0])

    def arrays(self) -> dict:
        """Keyword arguments for a method's ``aggregate`` function."""
        return {
            "task_idx": self.task_idx,
            "worker_idx": self.worker_idx,
            "label_idx": self.label_idx,
            "n_tasks": self.n_tasks,
            "n_workers": self.n_workers,
            "n_labels": self.n_labels,
            "gold": self.gold or None,
        }


def _label_sort_key(label: str) -> tuple:
    """Numeric labels sort numerically ("2" < "10"), others alphabetically, numbers first."""
    try:
        return (0, float(label), label)
    except ValueError:
        return (1, 0.0, label)


def keep_last_answer(
    task_idx: np.ndarray, worker_idx: np.ndarray, label_idx: np.ndarray, n_workers: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Apply the duplicate-answer policy: keep the last answer of each (task, worker) pair.

    Returns the filtered arrays (in their original relative order) and the number dropped.
    """
    n = task_idx.shape[0]
    if n == 0:
        return task_idx, worker_idx, label_idx, 0
    n_tasks = int(task_idx.max()) + 1
    pairs = sp.csr_matrix(
        (np.ones(n, dtype=np.int8), (task_idx, worker_idx)), shape=(n_tasks, max(n_workers, 1))
    )
    if pairs.nnz == n:  # building the matrix merged no (task, worker) pair: no duplicates
        return task_idx, worker_idx, label_idx, 0
    key = task_idx.astype(np.int64) * max(n_workers, 1) + worker_idx
    _, first_in_reversed = np.unique(key[::-1], return_index=True)
    if first_in_reversed.shape[0] == n:
        return task_idx, worker_idx, label_idx, 0
    keep = np.sort(n - 1 - first_in_reversed)
    return task_idx[keep], worker_idx[keep], label_idx[keep], n - keep.shape[0]


def encode_answers(
    records: Iterable[tuple[str, str, str]],
    *,
    gold: Mapping[str, str] | None = None,
    labels: Iterable[str] | None = None,
    tasks: Iterable[str] | None = None,
) -> EncodedAnswers:
    """Encode ``(task, worker, label)`` records.

    ``labels`` fixes the label vocabulary (e.g. a project's choices, including ones nobody picked);
    labels seen in answers or gold but missing from it are appended. ``tasks`` lists tasks that
    must get a row even without answers. Gold tasks that nobody answered are kept too, so their
    label still informs the class prior. Tasks and workers are indexed in order of first appearance.
    """
    task_index: dict[str, int] = {}
    worker_index: dict[str, int] = {}
    label_set: dict[str, None] = dict.fromkeys(labels or ())
    fixed_vocabulary = bool(label_set)
    for task in tasks or ():
        task_index.setdefault(str(task), len(task_index))
    t_list: list[int] = []
    w_list: list[int] = []
    raw_labels: list[str] = []
    for task, worker, label in records:
        t_list.append(task_index.setdefault(str(task), len(task_index)))
        w_list.append(worker_index.setdefault(str(worker), len(worker_index)))
        raw_labels.append(str(label))
    gold = {str(k): str(v) for k, v in (gold or {}).items()}
    for task in gold:
        task_index.setdefault(task, len(task_index))
    seen = dict.fromkeys(raw_labels)
    seen.update(dict.fromkeys(gold.values()))
    new = [label for label in seen if label not in label_set]
    vocabulary = list(label_set) + new if fixed_vocabulary else sorted(seen, key=_label_sort_key)
    label_index = {label: i for i, label in enumerate(vocabulary)}

    task_arr = np.asarray(t_list, dtype=np.int32)
    worker_arr = np.asarray(w_list, dtype=np.int32)
    label_arr = np.asarray([label_index[label] for label in raw_labels], dtype=np.int32)
    task_arr, worker_arr, label_arr, dropped = keep_last_answer(
        task_arr, worker_arr, label_arr, len(worker_index)
    )
    return EncodedAnswers(
        task_idx=task_arr,
        worker_idx=worker_arr,
        label_idx=label_arr,
        tasks=list(task_index),
        workers=list(worker_index),
        labels=vocabulary,
        gold={task_index[t]: label_index[g] for t, g in gold.items()},
        duplicates_dropped=dropped,
    )
