"""One-coin Dawid-Skene: one accuracy number per worker instead of a confusion matrix.

A. P. Dawid and A. M. Skene (1979), homogeneous-error special case; see also Y. Zhang et al.,
"Spectral Methods Meet EM", NIPS 2014, where it is used to fit the one-coin model.

Model: worker w gives the true label with probability ``q_w`` and each wrong label with
probability ``(1 - q_w) / (K - 1)``; true labels have prior ``p``. EM:

- E-step: ``log T[t, k] = log p_k + sum_{answers (t, w, l)} ([l == k] log q_w
  + [l != k] log((1 - q_w) / (K - 1)))``. Written as "every label gets the wrong-answer term,
  the given label gets the difference", it is two ``bincount`` calls - no loop over answers.
- M-step: ``q_w = (a + sum_{answers of w} T[t, l]) / (a + b + n_w)`` with a Beta(a, b) prior
  (default Beta(2, 1): a worker with one answer starts a little better than a coin flip),
  floored at chance, ``1/K``.

Two guards against the degenerate fit this model is prone to (trec_rf10 used to score 0.254,
far below majority vote's 0.557): one accuracy per worker cannot express a worker's *bias*
towards one label, so with a learnt class prior EM explains the excess of a popular answer by
moving the prior onto it, which makes that label win more tasks, which raises the prior again -
until nearly every task got label "1" (prior 0.84 for a label that is 19% of the gold). So the
class prior stays uniform by default, as in GLAD and MACE (``learn_prior=True`` learns
``p_k ∝ 1 + sum_t T[t, k]``); and accuracies are floored at chance, because a worker "worse than
random" turns their answers into votes against the label they gave and feeds the same spiral.

Initialised from majority vote; gold tasks are clamped to one-hot after every E-step.
Worker skill is ``q_w``.
"""

from __future__ import annotations

import numpy as np

from ._common import EPS, Answers, build_result, normalise_log, prepare, vote_posteriors
from .result import AggregationResult


def coin_log_posteriors(
    answers: Answers, prior: np.ndarray, log_right: np.ndarray, log_wrong: np.ndarray
) -> np.ndarray:
    """Unnormalised log-posteriors when each answer contributes ``log_right`` to its own label
    and ``log_wrong`` to every other label (both per answer)."""
    n_tasks, k = answers.n_tasks, answers.n_labels
    wrong_sum = np.bincount(answers.t, weights=log_wrong, minlength=n_tasks)
    delta = np.bincount(
        answers.t.astype(np.int64) * k + answers.y,
        weights=log_right - log_wrong,
        minlength=n_tasks * k,
    ).reshape(n_tasks, k)
    delta += wrong_sum[:, None]
    with np.errstate(divide="ignore"):
        delta += np.log(prior)[None, :]
    return delta


def m_step(
    answers: Answers, posteriors: np.ndarray, a: float, b: float
) -> tuple[np.ndarray, np.ndarray]:
    hits = np.bincount(
        answers.w, weights=posteriors[answers.t, answers.y], minlength=answers.n_workers
    )
    accuracy = (hits + a) / (answers.answers_per_worker() + a + b)
    prior = posteriors.sum(axis=0) + 1.0
    # Floor at chance (1/K): below it the model would read a worker's answer as evidence
    # *against* that label, which is what lets one-coin runs collapse (see the module doc).
    floor = 1.0 / max(answers.n_labels, 2)
    return prior / prior.sum(), np.clip(accuracy, floor, 1 - EPS)


def e_step(answers: Answers, prior: np.ndarray, accuracy: np.ndarray) -> tuple[np.ndarray, float]:
    k = max(answers.n_labels - 1, 1)
    q = accuracy[answers.w]
    return normalise_log(coin_log_posteriors(answers, prior, np.log(q), np.log((1 - q) / k)))


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
    prior_correct: float = 2.0,
    prior_wrong: float = 1.0,
    max_iter: int = 100,
    tol: float = 1e-7,
    learn_prior: bool = False,
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
    previous, converged, iterations = -np.inf, False, 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 - read after the loop
        prior, accuracy = m_step(answers, posteriors, prior_correct, prior_wrong)
        if not learn_prior:
            prior = np.full(n_labels, 1.0 / n_labels)
        prior = answers.mask_unseen(prior)
        posteriors, log_likelihood = e_step(answers, prior, accuracy)
        answers.clamp_gold(posteriors)
        if log_likelihood - previous < tol * max(answers.n_answers, 1):
            converged = True
            break
        previous = log_likelihood
    prior, accuracy = m_step(answers, posteriors, prior_correct, prior_wrong)
    return build_result(
        "onecoin",
        answers,
        posteriors,
        accuracy,
        prior=prior,
        iterations=iterations,
        converged=converged,
    )
