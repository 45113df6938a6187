"""Pairwise comparisons: Bradley-Terry scores by MM iterations.

D. R. Hunter, "MM algorithms for generalized Bradley-Terry models", Annals of Statistics 2004.
``P(i beats j) = s_i / (s_i + s_j)``. The MM update is
``s_i = (W_i + prior) / (sum_{j} n_ij / (s_i + s_j) + 2 prior / (s_i + 1))`` with ``W_i`` the
wins of i and ``n_ij`` the comparisons between i and j; the small ``prior`` (a virtual win and
loss against a reference item of score 1) keeps items that never won or never lost finite.
Scores are normalised to geometric mean 1; the ranking sorts them descending.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class RankingResult:
    scores: dict[str, float]
    ranking: list[str]


def aggregate_pairwise(
    comparisons, *, prior: float = 0.1, max_iter: int = 500, tol: float = 1e-9
) -> RankingResult:
    """``comparisons``: (winner, loser) pairs (who judged is not used by this model)."""
    items: dict[str, int] = {}
    winners, losers = [], []
    for winner, loser in comparisons:
        winners.append(items.setdefault(str(winner), len(items)))
        losers.append(items.setdefault(str(loser), len(items)))
    n = len(items)
    if n == 0:
        return RankingResult({}, [])
    w, l_ = np.asarray(winners), np.asarray(losers)
    wins = np.bincount(w, minlength=n).astype(float)
    scores = np.ones(n)
    for _ in range(max_iter):
        inv = 1.0 / (scores[w] + scores[l_])
        denominator = np.bincount(w, inv, n) + np.bincount(l_, inv, n) + 2 * prior / (scores + 1)
        new = (wins + prior) / denominator
        new /= np.exp(np.log(new).mean())
        if np.max(np.abs(new - scores)) < tol:
            scores = new
            break
        scores = new
    names = list(items)
    ranking = [names[i] for i in np.argsort(-scores, kind="stable")]
    return RankingResult({name: float(scores[i]) for i, name in enumerate(names)}, ranking)
