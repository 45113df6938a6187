"""Weighted majority vote, weights from each worker's accuracy against the aggregate.

The "worker agreement with aggregate" scheme (crowd-kit's ``Wawa``; see also Li & Yu, "Error
Rate Bounds and Iterative Weighted Majority Voting for Crowdsourcing", 2014):

1. Majority vote gives a label per task.
2. ``acc_w = hits_w / n_w``: the share of a worker's answers that match those labels. On gold
   tasks the label is the gold label, so a worker's gold answers count directly.
3. ``T[t, k] ∝ sum_{answers (t, w, k)} acc_w``: the vote weighted by accuracy gives new labels.

Steps 2-3 repeat until the labels stop changing (at most ``max_iter`` rounds; crowd-kit stops
after one). Hard labels, not posteriors, are what each worker is scored against: scoring against
vote shares gives every answer partial credit and pulls all weights towards the middle (web:
0.791 vs 0.826 with hard labels). A worker with no matched answer gets weight 0 and does not
vote, unless all voters on a task weigh 0 (then the plain vote stands). Worker skill is
``acc_w``; the posterior is the weighted vote share.
"""

from __future__ import annotations

import numpy as np

from ._common import Answers, build_result, prepare, vote_posteriors
from .result import AggregationResult


def hard_labels(answers: Answers, posteriors: np.ndarray) -> np.ndarray:
    """Arg-max label per task (first label on exact ties), gold tasks at their gold label."""
    labels = posteriors.argmax(axis=1)
    labels[answers.gold_tasks] = answers.gold_labels
    return labels


def worker_weights(answers: Answers, labels: np.ndarray) -> np.ndarray:
    """Share of each worker's answers equal to ``labels`` of their task (0 without answers)."""
    hits = np.bincount(answers.w, labels[answers.t] == answers.y, answers.n_workers)
    return hits / np.maximum(answers.answers_per_worker(), 1)


def weighted_vote(answers: Answers, weights: np.ndarray) -> np.ndarray:
    posteriors = vote_posteriors(answers, weights[answers.w])
    unweighted = np.bincount(answers.t, weights[answers.w], answers.n_tasks) <= 0
    if unweighted.any():
        posteriors[unweighted] = vote_posteriors(answers)[unweighted]
    return answers.clamp_gold(posteriors)


def aggregate(
    task_idx: np.ndarray,
    worker_idx: np.ndarray,
    label_idx: np.ndarray,
    *,
    n_tasks: int,
    n_workers: int,
    n_labels: int,
    gold=None,
    seed: int = 0,
    max_iter: int = 20,
) -> AggregationResult:
    answers = prepare(
        task_idx,
        worker_idx,
        label_idx,
        n_tasks=n_tasks,
        n_workers=n_workers,
        n_labels=n_labels,
        gold=gold,
        seed=seed,
    )
    posteriors = answers.clamp_gold(vote_posteriors(answers))
    labels = hard_labels(answers, posteriors)
    weights = worker_weights(answers, labels)
    converged, iterations = False, 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 - read after the loop
        weights = worker_weights(answers, labels)
        posteriors = weighted_vote(answers, weights)
        new_labels = hard_labels(answers, posteriors)
        if np.array_equal(new_labels, labels):
            converged = True
            break
        labels = new_labels
    return build_result(
        "wmv", answers, posteriors, weights, iterations=iterations, converged=converged
    )
