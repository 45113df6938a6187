"""Small pieces the export writers share. Pure Python (no Django), like the writers."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any


def json_array(items: Iterable[Any]) -> Iterator[str]:
    """A JSON array written item by item, so only one item is in memory at a time. One item
    per line keeps the file readable and diff-able."""
    yield "["
    separator = "\n"
    for item in items:
        yield separator + json.dumps(item, ensure_ascii=False)
        separator = ",\n"
    yield "\n]\n"


def image_size(data: Mapping) -> tuple[int | float, int | float] | None:
    """The image's size in pixels from the task data's ``width`` and ``height``, or None
    unless both are positive numbers. A CSV import stores them as strings ("640"), so numeric
    strings count too."""
    size = []
    for key in ("width", "height"):
        value = data.get(key)
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value <= 0
        ):
            return None
        size.append(int(value) if float(value).is_integer() else value)
    return size[0], size[1]
