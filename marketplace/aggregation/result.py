"""The result object every categorical aggregation method returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .encoding import EncodedAnswers


@dataclass
class AggregationResult:
    """Outcome of one aggregation run over integer-encoded answers.

    - ``labels``: (n_tasks,) chosen label index per task.
    - ``posteriors``: (n_tasks, n_labels) probability of each label; rows sum to 1.
    - ``confidence``: (n_tasks,) the posterior of the chosen label, in [0, 1].
    - ``worker_skill``: per worker; shape (n_workers,) for one-number models (accuracy, GLAD
      ability, MACE competence) or (n_workers, n_labels, n_labels) confusion matrices for
      Dawid-Skene, indexed ``[worker, true label, given label]``.
    - ``worker_accuracy``: (n_workers,) expected share of a worker's answers that match the
      true label under the posteriors; NaN for a worker without answers. Comparable across methods.
    - ``n_answers``: (n_tasks,) answers per task after the duplicate policy.
    - ``class_prior``: (n_labels,) estimated share of each true label.
    - ``details``: method-specific facts (``auto``: the chosen candidate and its scores).
    """

    method: str
    labels: np.ndarray
    posteriors: np.ndarray
    confidence: np.ndarray
    worker_skill: np.ndarray
    worker_accuracy: np.ndarray
    n_answers: np.ndarray
    class_prior: np.ndarray
    iterations: int = 0
    converged: bool = True
    details: dict = field(default_factory=dict)

    def decode(self, encoded: EncodedAnswers) -> list[tuple[str, str, float]]:
        """``(task, label, confidence)`` per task, with the external ids from ``encoded``."""
        return [
            (task, encoded.labels[label], float(conf))
            for task, label, conf in zip(encoded.tasks, self.labels, self.confidence, strict=True)
        ]

    def worker_skill_by_id(self, encoded: EncodedAnswers) -> dict[str, np.ndarray | float]:
        """Worker skill keyed by external worker id."""
        return {
            worker: (skill if np.ndim(skill) else float(skill))
            for worker, skill in zip(encoded.workers, self.worker_skill, strict=True)
        }
