"""The gold oracle: what a worker can observe, turned into features, and a classifier that tries
to tell gold tasks from regular ones with them (docs/security.md, "Gold cannot be told apart").

An observation is the text of one channel (a page, an API response) with what is per
assignment or per moment masked (ids, timestamps, CSRF tokens). A feature is how a channel
changed across one step (a claim, a submit): the same lines with different numbers give the
differences of the numbers; lines added or removed give those lines, numbers masked. So "the
count went down by one" is the same feature for every task, whatever the count was.

The classifier is what colluding accounts could build: for each task, the label most tasks with
the same feature had (leave-one-out: the task's own label is not used), or the best threshold
on a number (timings). Its accuracy is compared with the majority baseline by an exact binomial
tail: a classifier that learns nothing cannot beat always guessing "regular".
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections import Counter
from collections.abc import Hashable, Sequence

_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?"
)
_CSRF = re.compile(r'(csrfmiddlewaretoken" value="|"csrfToken": "|"X-CSRFToken": ")[^"]+')
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")

# JSON keys whose values are per assignment or per moment: a worker learns nothing from them
# that a regular task would not give the same way.
PER_ASSIGNMENT_KEYS = frozenset(
    {"assignment", "id", "expires_at", "claimed_at", "submitted_at", "created_at", "data"}
)


def mask_json(value, *, drop=PER_ASSIGNMENT_KEYS):
    """The JSON with per-assignment keys dropped (``live_assignment`` kept as a yes/no)."""
    if isinstance(value, dict):
        return {
            key: (item is not None if key == "live_assignment" else mask_json(item, drop=drop))
            for key, item in value.items()
            if key not in drop
        }
    if isinstance(value, list):
        return [mask_json(item, drop=drop) for item in value]
    return value


def json_text(value) -> str:
    return json.dumps(mask_json(value), indent=1, sort_keys=True, default=str)


def page_text(html: str) -> str:
    return _TIMESTAMP.sub("<time>", _CSRF.sub(r"\1<csrf>", html))


def _lines(text: str) -> list[tuple[str, tuple[float, ...]]]:
    """Each non-empty line as (the line with numbers masked, its numbers)."""
    return [
        (_NUMBER.sub("#", line), tuple(float(n) for n in _NUMBER.findall(line)))
        for line in (raw.strip() for raw in text.splitlines())
        if line
    ]


def delta(before: str, after: str) -> Hashable:
    """How a channel changed between two observations, free of absolute values: lines added,
    removed or replaced (numbers masked), and for lines that stayed, how their numbers moved."""
    old, new = _lines(before), _lines(after)
    matcher = difflib.SequenceMatcher(
        a=[line for line, _ in old], b=[line for line, _ in new], autojunk=False
    )
    changes = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            changes.append(
                (tag, tuple(line for line, _ in old[i1:i2]), tuple(line for line, _ in new[j1:j2]))
            )
            continue
        for (line, numbers_old), (_, numbers_new) in zip(old[i1:i2], new[j1:j2], strict=True):
            if numbers_old != numbers_new:
                moved = tuple(b - a for a, b in zip(numbers_old, numbers_new, strict=True))
                changes.append(("moved", line, moved))
    return tuple(changes)


def coarse(change: Hashable) -> Hashable:
    """Only which lines changed and which way their numbers went: what is left when the exact
    amounts are too particular to recur (a percentage moves by a different step each time)."""
    return tuple(
        (tag, line, tuple((d > 0) - (d < 0) for d in detail))
        if tag == "moved"
        else (tag, line, detail)
        for tag, line, detail in change
    )


def loo_lookup_accuracy(features: Sequence[Hashable], labels: Sequence[bool]) -> float:
    """Leave-one-out accuracy of "guess what most other tasks with this feature were"
    (falling back to the overall majority of the others when the feature is unseen or tied)."""
    by_feature: dict[Hashable, Counter] = {}
    for feature, label in zip(features, labels, strict=True):
        by_feature.setdefault(feature, Counter())[label] += 1
    overall = Counter(labels)
    right = 0
    for feature, label in zip(features, labels, strict=True):
        same = by_feature[feature].copy()
        same[label] -= 1
        rest = overall.copy()
        rest[label] -= 1
        votes = same if same[True] != same[False] else rest
        guess = votes[True] > votes[False]
        right += guess == label
    return right / len(labels)


def loo_threshold_accuracy(values: Sequence[float], labels: Sequence[bool]) -> float:
    """Leave-one-out accuracy of the best single threshold (either direction) on ``values``,
    chosen on the other tasks: how well a timing separates gold from regular."""
    right = 0
    for held in range(len(values)):
        rest = [
            (v, lab) for i, (v, lab) in enumerate(zip(values, labels, strict=True)) if i != held
        ]
        best = _best_threshold(rest)
        threshold, gold_above = best
        guess = (values[held] > threshold) == gold_above
        right += guess == labels[held]
    return right / len(values)


def _best_threshold(points: list[tuple[float, bool]]) -> tuple[float, bool]:
    points = sorted(points)
    total_gold = sum(label for _, label in points)
    total = len(points)
    # Start with "everything above the threshold", threshold below all points.
    best = (points[0][0] - 1, total_gold >= total - total_gold)
    best_score = max(total_gold, total - total_gold)
    gold_below = 0
    for index, (value, label) in enumerate(points):
        gold_below += label
        below = index + 1
        if index + 1 < total and points[index + 1][0] == value:
            continue
        regular_below = below - gold_below
        gold_above_count = total_gold - gold_below
        regular_above = (total - below) - gold_above_count
        # Gold above the threshold: right are regular below + gold above; or the reverse.
        for gold_above, score in (
            (True, regular_below + gold_above_count),
            (False, gold_below + regular_above),
        ):
            if score > best_score:
                best, best_score = (value, gold_above), score
    return best


def binomial_tail(successes: int, trials: int, p: float) -> float:
    """P(X >= successes) for X ~ Binomial(trials, p)."""
    return sum(
        math.comb(trials, k) * p**k * (1 - p) ** (trials - k) for k in range(successes, trials + 1)
    )


def beats_chance(accuracy: float, labels: Sequence[bool], *, alpha: float = 1e-3) -> bool:
    """True when ``accuracy`` over ``labels`` is above the majority baseline by more than
    chance allows (one-sided exact binomial test at ``alpha``)."""
    trials = len(labels)
    baseline = max(Counter(labels).values()) / trials
    return binomial_tail(round(accuracy * trials), trials, baseline) < alpha
