"""Shared pieces of the categorical methods: input checks, gold clamping, label choice.

Conventions used throughout: ``t``, ``w``, ``y`` are the per-answer task, worker and given-label
index arrays (after the duplicate policy); ``K`` is the number of labels; ``T`` is the
(n_tasks, K) posterior matrix over true labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from .encoding import keep_last_answer
from .result import AggregationResult

EPS = 1e-10
"""Floor for probabilities before taking logs, so log(0) never happens."""


class AggregationInputError(ValueError):
    """The answer arrays or gold are inconsistent (bad index, wrong lengths)."""


@dataclass
class Answers:
    """Validated, de-duplicated answers, plus the gold as two aligned arrays."""

    t: np.ndarray
    w: np.ndarray
    y: np.ndarray
    n_tasks: int
    n_workers: int
    n_labels: int
    gold_tasks: np.ndarray
    gold_labels: np.ndarray
    rng: np.random.Generator

    @property
    def n_answers(self) -> int:
        return int(self.t.shape[0])

    def answers_per_task(self) -> np.ndarray:
        return np.bincount(self.t, minlength=self.n_tasks)

    def answers_per_worker(self) -> np.ndarray:
        return np.bincount(self.w, minlength=self.n_workers)

    def task_label_matrix(self, weights: np.ndarray | None = None) -> sp.csr_matrix:
        """(n_tasks, K) sparse matrix of (weighted) votes: entry [t, k] sums answers t -> k."""
        data = np.ones(self.n_answers) if weights is None else weights
        return sp.csr_matrix(
            (data, (self.t, self.y)), shape=(self.n_tasks, self.n_labels), dtype=np.float64
        )

    @cached_property
    def seen_labels(self) -> np.ndarray:
        """Boolean mask of labels given in some answer or known from gold."""
        seen = np.bincount(self.y, minlength=self.n_labels) > 0
        seen[self.gold_labels] = True
        return seen

    def mask_unseen(self, prior: np.ndarray) -> np.ndarray:
        """Zero the prior of labels that no answer and no gold used, then renormalise.

        A true label nobody ever gave has no evidence for it; without this, EM gives it a
        uniform confusion row and it can soak up posterior mass on noisy tasks.
        """
        seen = self.seen_labels
        if seen.any() and not seen.all():
            prior = np.where(seen, prior, 0.0)
            prior = prior / prior.sum()
        return prior

    def clamp_gold(self, posteriors: np.ndarray) -> np.ndarray:
        """Set known-gold tasks' posteriors to one-hot (in place) and return them."""
        if self.gold_tasks.shape[0]:
            posteriors[self.gold_tasks] = 0.0
            posteriors[self.gold_tasks, self.gold_labels] = 1.0
        return posteriors


def _as_index_array(name: str, values, size: int) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise AggregationInputError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise AggregationInputError(f"{name} must hold integers, got dtype {arr.dtype}")
    arr = arr.astype(np.int64 if size > np.iinfo(np.int32).max else np.int32, copy=False)
    if arr.size and (arr.min() < 0 or arr.max() >= size):
        bad = int(np.flatnonzero((arr < 0) | (arr >= size))[0])
        raise AggregationInputError(
            f"{name}[{bad}] = {int(arr[bad])} is outside 0..{size - 1} (answer number {bad})"
        )
    return arr


def prepare(
    task_idx,
    worker_idx,
    label_idx,
    *,
    n_tasks: int,
    n_workers: int,
    n_labels: int,
    gold: Mapping[int, int] | tuple[np.ndarray, np.ndarray] | None = None,
    seed: int = 0,
) -> Answers:
    """Validate arrays, apply the keep-last duplicate policy and normalise ``gold``.

    ``gold`` is either a mapping task index -> label index or a pair of aligned arrays.
    """
    if n_labels < 1:
        raise AggregationInputError("n_labels must be at least 1")
    t = _as_index_array("task_idx", task_idx, n_tasks)
    w = _as_index_array("worker_idx", worker_idx, n_workers)
    y = _as_index_array("label_idx", label_idx, n_labels)
    if not (t.shape == w.shape == y.shape):
        raise AggregationInputError(
            f"task_idx, worker_idx, label_idx differ in length: {t.shape[0]}, {w.shape[0]}, "
            f"{y.shape[0]}"
        )
    t, w, y, _ = keep_last_answer(t, w, y, n_workers)
    if gold is None:
        gold_tasks = gold_labels = np.zeros(0, dtype=np.int64)
    elif isinstance(gold, Mapping):
        gold_tasks = np.fromiter(gold.keys(), dtype=np.int64, count=len(gold))
        gold_labels = np.fromiter(gold.values(), dtype=np.int64, count=len(gold))
    else:
        gold_tasks, gold_labels = (np.asarray(a, dtype=np.int64) for a in gold)
    gold_tasks = _as_index_array("gold task", gold_tasks, n_tasks)
    gold_labels = _as_index_array("gold label", gold_labels, n_labels)
    return Answers(
        t=t,
        w=w,
        y=y,
        n_tasks=n_tasks,
        n_workers=n_workers,
        n_labels=n_labels,
        gold_tasks=gold_tasks,
        gold_labels=gold_labels,
        rng=np.random.default_rng(seed),
    )


def row_max(values: np.ndarray) -> np.ndarray:
    """Maximum of each row of a 2-D array, as a loop over its (few) columns.

    numpy's reductions along a short last axis are several times slower than K element-wise
    passes over long columns, and this runs in every EM iteration.
    """
    result = values[:, 0].copy()
    for column in range(1, values.shape[1]):
        np.maximum(result, values[:, column], out=result)
    return result


def row_sum(values: np.ndarray) -> np.ndarray:
    """Sum of each row of a 2-D array (see :func:`row_max` for why a column loop)."""
    result = values[:, 0].copy()
    for column in range(1, values.shape[1]):
        result += values[:, column]
    return result


def normalise_log(log_post: np.ndarray) -> tuple[np.ndarray, float]:
    """Row-wise softmax of log-posteriors, in place; also returns the summed log normaliser
    (the log-likelihood). ``log_post`` is overwritten with the posteriors."""
    if log_post.shape[0] == 0:
        return log_post, 0.0
    top = row_max(log_post)
    with np.errstate(invalid="ignore"):
        log_post -= top[:, None]
        np.exp(log_post, out=log_post)
    sums = row_sum(log_post)
    log_post /= sums[:, None]
    return log_post, float(np.sum(np.log(sums), dtype=np.float64) + np.sum(top, dtype=np.float64))


def vote_posteriors(answers: Answers, weights: np.ndarray | None = None) -> np.ndarray:
    """Share of (weighted) votes per label; tasks without votes get the overall label share."""
    k = answers.n_labels
    votes = np.bincount(
        answers.t.astype(np.int64) * k + answers.y, weights=weights, minlength=answers.n_tasks * k
    ).reshape(answers.n_tasks, k)
    if weights is None:
        votes = votes.astype(np.float64)
    totals = row_sum(votes) if answers.n_tasks else np.zeros(0)
    overall = votes.sum(axis=0)
    overall = overall / overall.sum() if overall.sum() > 0 else np.full(k, 1.0 / k)
    empty = totals <= 0
    totals[empty] = 1.0
    votes /= totals[:, None]
    votes[empty] = overall
    return votes


def choose_labels(
    posteriors: np.ndarray,
    prior: np.ndarray,
    rng: np.random.Generator,
    tie_break: np.ndarray | None = None,
) -> np.ndarray:
    """Arg-max label per task. Exact ties go to the larger ``tie_break`` score (in [0, 1], if
    given), then to the label with the larger class prior, then to a seeded random pick, so
    results are deterministic per seed.
    """
    top = row_max(posteriors)[:, None] if posteriors.shape[0] else np.zeros((0, 1))
    tied = posteriors >= top - 1e-12
    score = 1.0 + 1e-3 * prior[None, :] + 1e-9 * rng.random(posteriors.shape)
    if tie_break is not None:
        score = score + tie_break
    return (tied * score).argmax(axis=1)


def expected_accuracy(answers: Answers, posteriors: np.ndarray) -> np.ndarray:
    """Per worker: mean posterior of the label they gave (NaN for workers without answers)."""
    hits = np.bincount(
        answers.w, weights=posteriors[answers.t, answers.y], minlength=answers.n_workers
    )
    counts = answers.answers_per_worker()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, hits / np.maximum(counts, 1), np.nan)


def build_result(
    method: str,
    answers: Answers,
    posteriors: np.ndarray,
    worker_skill: np.ndarray,
    *,
    prior: np.ndarray | None = None,
    iterations: int = 0,
    converged: bool = True,
    tie_break: np.ndarray | None = None,
) -> AggregationResult:
    """Clamp gold, choose labels and package everything into an :class:`AggregationResult`."""
    posteriors = answers.clamp_gold(posteriors)
    if prior is None:
        prior = posteriors.mean(axis=0) if posteriors.shape[0] else np.ones(answers.n_labels)
    labels = choose_labels(posteriors, prior, answers.rng, tie_break)
    confidence = np.clip(posteriors[np.arange(answers.n_tasks), labels], 0.0, 1.0)
    return AggregationResult(
        method=method,
        labels=labels,
        posteriors=posteriors,
        confidence=confidence,
        worker_skill=worker_skill,
        worker_accuracy=expected_accuracy(answers, posteriors),
        n_answers=answers.answers_per_task(),
        class_prior=prior,
        iterations=iterations,
        converged=converged,
    )
