"""Answer aggregation and worker-quality algorithms. Pure Python + numpy/scipy, no Django.

Entry point: :func:`aggregate` with a method name from :data:`METHODS`. See docs/aggregation.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from . import auto, ds, glad, mace, mv, onecoin, wmv
from ._common import AggregationInputError
from .encoding import EncodedAnswers, encode_answers, keep_last_answer
from .result import AggregationResult

METHODS: dict[str, Callable[..., AggregationResult]] = {
    "mv": mv.aggregate,
    "wmv": wmv.aggregate,
    "ds": ds.aggregate,
    "onecoin": onecoin.aggregate,
    "glad": glad.aggregate,
    "mace": mace.aggregate,
    "auto": auto.aggregate,
}

DEFAULT_METHOD = "auto"
"""Per-project choice of Dawid-Skene, MACE or their average by held-out answers (``auto``): the
best mean accuracy over the ten shared data sets (above crowd-kit's per-set best), the largest
gain from gold, and Dawid-Skene confusion matrices for worker quality whatever it picks
(figures in docs/aggregation.md)."""


def aggregate(
    method: str,
    answers: EncodedAnswers | Iterable[tuple[str, str, str]],
    *,
    gold: Mapping | None = None,
    seed: int = 0,
    **options,
) -> AggregationResult:
    """Aggregate answers with ``method``.

    ``answers`` is either an :class:`EncodedAnswers` (its own gold is used unless ``gold`` is
    given, as task index -> label index) or ``(task, worker, label)`` string records (then
    ``gold`` maps task id -> label string). Decode with ``result.decode(encoded)``; for string
    records use :func:`encode_answers` first if you need the vocabularies.
    """
    if method not in METHODS:
        raise AggregationInputError(
            f"unknown method {method!r}; choose one of {', '.join(sorted(METHODS))}"
        )
    if not isinstance(answers, EncodedAnswers):
        answers = encode_answers(answers, gold=gold)
        gold = None
    arrays = answers.arrays()
    if gold is not None:
        arrays["gold"] = gold
    return METHODS[method](**arrays, seed=seed, **options)


__all__ = [
    "DEFAULT_METHOD",
    "METHODS",
    "AggregationInputError",
    "AggregationResult",
    "EncodedAnswers",
    "aggregate",
    "encode_answers",
    "keep_last_answer",
]
