"""CoNLL / IOB for span projects: one token per line with its tag, a blank line after each
task, comment lines before it::

    # task_id = 12
    # confidence = 0.875
    Ada	B-PERSON
    Lovelace	I-PERSON
    wrote	O

Tokens are the runs of non-whitespace characters of ``data.text``; token and tag are
separated by a tab. Character spans map onto tokens by overlap: a token takes a span's tag
when they share at least one character, so a span that starts or ends inside a token widens
to the whole token, and a span of only whitespace tags nothing. IOB has one tag per token:
when spans overlap (``allow_overlap``), the span that starts first (the longer one on a tie)
keeps the shared tokens and the other tags only the tokens left, starting again with ``B-``.
Tasks without a final label yet are left out.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator

_TOKEN = re.compile(r"\S+")


def tokenise(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, token)`` for each whitespace-separated token; offsets as in the spans."""
    return [(match.start(), match.end(), match.group()) for match in _TOKEN.finditer(text)]


def iob_tags(tokens: list[tuple[int, int, str]], spans: list[dict]) -> list[str]:
    """One IOB2 tag per token for character-offset ``spans`` (rules in the module docstring)."""
    tags = ["O"] * len(tokens)
    ends = [end for _, end, _ in tokens]
    for span in sorted(spans, key=lambda s: (s["start"], -s["end"], s["label"])):
        inside = False
        # The first token ending after the span's start is the first one it can touch.
        index = bisect_right(ends, span["start"])
        while index < len(tokens) and tokens[index][0] < span["end"]:
            if tags[index] == "O":
                tags[index] = ("I-" if inside else "B-") + span["label"]
                inside = True
            else:
                inside = False  # taken by an earlier span: what follows starts a new entity
            index += 1
    return tags


def conll_task(record: dict) -> str:
    tokens = tokenise(record["data"].get("text") or "")
    tags = iob_tags(tokens, record["label"])
    lines = [f"# task_id = {record['task_id']}"]
    if record["confidence"] is not None:
        lines.append(f"# confidence = {round(record['confidence'], 6)}")
    lines += [f"{token}\t{tag}" for (_, _, token), tag in zip(tokens, tags, strict=True)]
    return "\n".join(lines) + "\n\n"


def conll_lines(records: Iterator[dict], *, project, with_answers: bool) -> Iterator[str]:
    for record in records:
        if record["label"] is not None:
            yield conll_task(record)
