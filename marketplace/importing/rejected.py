"""The rejected-rows file of a "skip bad rows" import: every rejected row with its line, its
problems and its raw values, for the requester to fix and upload again. Pure Python.

The merged file is written through ``config.csv_safe``: a raw value that starts like a formula
(``=``, ``+``, ``-``, ``@``, tab, CR) gets a leading ``'`` so a spreadsheet shows it as text
(docs/security.md, "CSV formula injection"); the temporary parts keep the raw values as read."""

import csv
import heapq
import io
import tempfile
from collections.abc import Iterable

from django.core.files import File

from config.csv_safe import csv_safe_writer


class RejectedRows:
    """Streams rejected rows to temporary files, so memory stays flat however many rows are bad.

    Rows the parser rejects arrive in file order through :meth:`add`. Rows found bad later (the
    database finds duplicate external ids once every row is written) arrive, also in file
    order, through :meth:`add_later`; :meth:`file` merges both by line.
    """

    def __init__(self):
        self._parts = [_Part(), _Part()]
        self.count = 0

    def add(self, line: int, raw, errors) -> None:
        self._parts[0].add(line, raw, errors)
        self.count += 1

    def add_later(self, line: int, raw, errors) -> None:
        self._parts[1].add(line, raw, errors)
        self.count += 1

    def file(self, header: list[str]) -> File:
        """The rejected rows as one CSV in line order, after a header row. Closes the parts."""
        out = tempfile.TemporaryFile(mode="w+b")  # noqa: SIM115 - the File wrapper owns it
        text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        writer = csv_safe_writer(text)
        writer.writerow(["line", "problems", *(header or ["raw"])])
        readers = [csv.reader(part.reopen()) for part in self._parts]
        writer.writerows(heapq.merge(*readers, key=lambda row: int(row[0])))
        text.flush()
        text.detach()
        self.close()
        out.seek(0)
        return File(out, name="rejected.csv")

    def close(self) -> None:
        for part in self._parts:
            part.close()


class _Part:
    def __init__(self):
        # Closed by close(): the text wrapper owns the handle.
        self.text = io.TextIOWrapper(
            tempfile.TemporaryFile(mode="w+b"),  # noqa: SIM115
            encoding="utf-8",
            newline="",
        )
        self.writer = csv.writer(self.text)

    def add(self, line: int, raw, errors: Iterable) -> None:
        problems = "; ".join(f"{error.field}: {error.message}" for error in errors)
        cells = raw if isinstance(raw, list) else [raw]
        self.writer.writerow([line, problems, *cells])

    def reopen(self) -> io.TextIOWrapper:
        self.text.flush()
        self.text.seek(0)
        return self.text

    def close(self) -> None:
        self.text.close()
