"""MACE: Multi-Annotator Competence Estimation.

D. Hovy, T. Berg-Kirkpatrick, A. Vaswani, E. Hovy, "Learning Whom to Trust with MACE",
NAACL-HLT 2013.

Model: worker w either knows the answer (probability ``theta_w``, then gives the true label) or
is spamming (probability ``1 - theta_w``, then draws a label from their own spam strategy
``xi_w``). So ``P(l | z = k) = theta_w [l == k] + (1 - theta_w) xi_w[l]``. True labels are
uniform, as in the paper (``learn_prior=True`` learns a class prior instead).

Fitted by variational Bayes, as the paper's recommended variant and crowd-kit's ``MACE``: a
Beta(``prior_spam``, ``prior_knows``) prior on (1 - theta, theta) and a symmetric Dirichlet
(``prior_strategy``) on ``xi``. Each iteration:

- E-step: every label gets ``log((1 - theta_w) xi_w[l])`` from an answer l, the given label
  gets ``log(theta_w + (1 - theta_w) xi_w[l])`` instead (two ``bincount`` calls), in log-space
  (crowd-kit multiplies raw probabilities and can underflow on tasks with many answers).
- Expected counts, with ``r = T[t, l]`` the chance the answer matches the truth: the chance it
  was a spam draw is ``s = 1 - r + r (1 - theta) xi[l] / (theta + (1 - theta) xi[l])``; knowing
  counts are ``sum (1 - s)``, spam counts ``sum s`` and spam-strategy counts ``sum_l s``.
- Variational M-step: ``theta_w = exp(psi(c_knows + b) - psi(n_w + a + b))`` and likewise for
  ``1 - theta_w`` and ``xi_w`` (``psi`` = digamma); these sub-normalised weights are the
  variational means of the log-parameters.

Initialised from majority vote; gold clamped after every E-step, so gold tasks' answers feed the
knowing/spam counts directly. Worker skill is the posterior-mean ``theta_w``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma

from ._common import EPS, Answers, build_result, normalise_log, prepare, vote_posteriors
from .onecoin import coin_log_posteriors
from .result import AggregationResult


def expected_counts(answers: Answers, posteriors, knows, spams, xi):
    """Per worker: expected knowing count, spam count and spam-strategy counts (n_w, K)."""
    xi_given = xi[answers.w, answers.y]
    spam_given = spams[answers.w] * xi_given
    right = posteriors[answers.t, answers.y]
    knew = right * knows[answers.w] / (knows[answers.w] + spam_given)
    n_w, k = answers.n_workers, answers.n_labels
    knowing = np.bincount(answers.w, knew, n_w)
    strategy = np.bincount(answers.w.astype(np.int64) * k + answers.y, 1.0 - knew, n_w * k)
    return knowing, answers.answers_per_worker() - knowing, strategy.reshape(n_w, k)


def m_step(knowing, spamming, strategy, prior_knows, prior_spam, prior_strategy):
    """Variational M-step: ``exp(E[log theta])``, ``exp(E[log(1 - theta)])``, ``exp(E[log xi])``."""
    total = digamma(knowing + spamming + prior_knows + prior_spam)
    knows = np.exp(digamma(knowing + prior_knows) - total)
    spams = np.exp(digamma(spamming + prior_spam) - total)
    strategy = strategy + prior_strategy
    xi = np.exp(digamma(strategy) - digamma(strategy.sum(axis=1, keepdims=True)))
    return knows, spams, xi


def e_step(answers: Answers, prior, knows, spams, xi):
    spam_given = spams[answers.w] * xi[answers.w, answers.y]
    log_wrong = np.log(np.maximum(spam_given, EPS))
    log_right = np.log(knows[answers.w] + spam_given)
    return normalise_log(coin_log_posteriors(answers, prior, log_right, log_wrong))


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
    prior_knows: float = 0.5,
    prior_spam: float = 0.5,
    prior_strategy: float = 10.0,
    max_iter: int = 50,
    tol: float = 1e-6,
    learn_prior: bool = False,
    class_prior: np.ndarray | None = None,
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
    # ``class_prior`` fixes the true-label shares (e.g. from gold) instead of the uniform prior.
    uniform = np.full(n_labels, 1.0 / n_labels)
    prior = answers.mask_unseen(uniform if class_prior is None else np.asarray(class_prior))
    posteriors = answers.clamp_gold(vote_posteriors(answers))
    knows = spams = np.full(n_workers, 0.5)
    xi = np.full((n_workers, n_labels), 1.0 / n_labels)
    previous, converged, iterations = -np.inf, False, 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 - read after the loop
        counts = expected_counts(answers, posteriors, knows, spams, xi)
        knows, spams, xi = m_step(*counts, prior_knows, prior_spam, prior_strategy)
        if learn_prior:
            prior = answers.mask_unseen((posteriors.sum(axis=0) + 1.0) / (n_tasks + n_labels))
        posteriors, log_likelihood = e_step(answers, prior, knows, spams, xi)
        answers.clamp_gold(posteriors)
        if abs(log_likelihood - previous) < tol * max(answers.n_answers, 1):
            converged = True
            break
        previous = log_likelihood
    knowing, spamming, _ = expected_counts(answers, posteriors, knows, spams, xi)
    theta = (knowing + prior_knows) / (knowing + spamming + prior_knows + prior_spam)
    return build_result(
        "mace",
        answers,
        posteriors,
        theta,
        prior=prior,
        iterations=iterations,
        converged=converged,
    )
