"""GLAD: worker ability and task difficulty.

J. Whitehill, P. Ruvolo, T. Wu, J. Bergsma, J. Movellan, "Whose Vote Should Count More: Optimal
Integration of Labels from Labelers of Unknown Expertise", NIPS 2009.

Model: worker w has ability ``alpha_w`` (any real; negative = adversarial), task t has
inverse difficulty ``exp(b_t) > 0``. The worker is right with probability
``sigma(alpha_w * exp(b_t))`` and otherwise picks one of the K - 1 wrong labels uniformly.
Priors: ``alpha_w ~ N(1, 1)``, ``b_t ~ N(1, 1)``; true labels uniform by default (as in the
paper; a learnt class prior lets GLAD collapse onto the majority class on skewed data).

- E-step: as one-coin DS but with a per-answer accuracy ``sigma(x)``, ``x = alpha_w exp(b_t)``.
- M-step: maximise ``Q = sum_answers [r log sigma(x) + (1 - r) log(1 - sigma(x))] + log priors``
  with ``r = T[t, l]`` (posterior that the answer is right). ``dQ/dx = r - sigma(x)``, so the
  gradients and diagonal Hessians for all alphas (and then all b's) are ``bincount``s, and a few
  block-Newton steps (each alpha is independent given b, and vice versa) replace the paper's
  gradient ascent.

Initialised with one E-step at the prior means (a sharpened majority vote); gold tasks are
clamped after every E-step. Worker skill is ``alpha_w``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, log_expit

from ._common import build_result, normalise_log, prepare
from .onecoin import coin_log_posteriors
from .result import AggregationResult


def _newton_block(grad: np.ndarray, hess: np.ndarray, max_step: float = 2.0) -> np.ndarray:
    """One Newton step per coordinate (``hess`` is negative), clipped for stability."""
    return np.clip(-grad / np.minimum(hess, -1e-9), -max_step, max_step)


def m_step(answers, posteriors, alpha, b, *, steps: int = 1) -> tuple[np.ndarray, np.ndarray]:
    right = posteriors[answers.t, answers.y]
    n_w, n_t = answers.n_workers, answers.n_tasks
    for _ in range(steps):
        scale = np.exp(b)[answers.t]
        p = expit(alpha[answers.w] * scale)
        residual = right - p
        curvature = p * (1 - p)
        grad = np.bincount(answers.w, residual * scale, n_w) - (alpha - 1.0)
        hess = -np.bincount(answers.w, curvature * scale * scale, n_w) - 1.0
        alpha = alpha + _newton_block(grad, hess)

        a_ans = alpha[answers.w]
        x = a_ans * scale
        p = expit(x)
        residual = right - p
        curvature = p * (1 - p)
        # d x / d b = x; d^2 x / d b^2 = x.
        grad = np.bincount(answers.t, residual * x, n_t) - (b - 1.0)
        hess = np.bincount(answers.t, residual * x - curvature * x * x, n_t) - 1.0
        b = np.clip(b + _newton_block(grad, hess, 1.0), -5.0, 5.0)
    return alpha, b


def e_step(answers, prior, alpha, b) -> tuple[np.ndarray, float]:
    x = alpha[answers.w] * np.exp(b)[answers.t]
    log_wrong = log_expit(-x) - np.log(max(answers.n_labels - 1, 1))
    return normalise_log(coin_log_posteriors(answers, prior, log_expit(x), log_wrong))


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
    max_iter: int = 100,
    tol: float = 1e-4,
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
    alpha = np.ones(n_workers)
    b = np.ones(n_tasks)
    prior = np.full(n_labels, 1.0 / n_labels)
    # Start from the E-step with every worker equal: a sharpened majority vote.
    posteriors = answers.clamp_gold(e_step(answers, prior, alpha, b)[0])
    previous, converged, iterations = -np.inf, False, 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 - read after the loop
        if learn_prior:
            prior = posteriors.sum(axis=0) + 1.0
            prior /= prior.sum()
        prior = answers.mask_unseen(prior)
        alpha, b = m_step(answers, posteriors, alpha, b)
        posteriors, log_likelihood = e_step(answers, prior, alpha, b)
        answers.clamp_gold(posteriors)
        if abs(log_likelihood - previous) < tol * max(answers.n_answers, 1):
            converged = True
            break
        previous = log_likelihood
    result = build_result(
        "glad", answers, posteriors, alpha, prior=prior, iterations=iterations, converged=converged
    )
    result.task_difficulty = np.exp(-b)
    return result
