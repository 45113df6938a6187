"""Free-text answers: pick the answer that agrees most with the others.

Answers are normalised (case-folded, whitespace collapsed, punctuation stripped) and compared
with ``difflib.SequenceMatcher`` ratio. The chosen answer maximises the summed similarity to the
other answers (a medoid); confidence is its mean similarity to the others (1 for one answer
agreeing with itself is not evidence, so a single answer gets 0.5).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

_PUNCTUATION = re.compile(r"[^\w\s]")


def normalise(text: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", text.casefold()).split())


@dataclass
class TextResult:
    answers: dict[str, str]
    confidence: dict[str, float]


def aggregate_text(records) -> TextResult:
    """``records``: (task, worker, text). Duplicates: the last answer wins."""
    by_task: dict[str, dict[str, str]] = {}
    for task, worker, text in records:
        by_task.setdefault(str(task), {})[str(worker)] = str(text)
    answers, confidence = {}, {}
    for task, given in by_task.items():
        texts = list(given.values())
        norm = [normalise(t) for t in texts]
        if len(texts) == 1:
            answers[task], confidence[task] = texts[0], 0.5
            continue
        scores = [
            sum(difflib.SequenceMatcher(None, a, b).ratio() for j, b in enumerate(norm) if j != i)
            for i, a in enumerate(norm)
        ]
        best = max(range(len(texts)), key=lambda i: (scores[i], -i))
        answers[task] = texts[best]
        confidence[task] = scores[best] / (len(texts) - 1)
    return TextResult(answers, confidence)
