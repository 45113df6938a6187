"""The one CSV cell neutraliser (config/csv_safe.py): OWASP's trigger characters get a leading
quote; numbers, plain numeric strings and ordinary text pass unchanged."""

import csv
import io

import pytest

from config.csv_safe import csv_safe_cell, csv_safe_writer


@pytest.mark.parametrize(
    "value",
    ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\t=1", "\r=1", "-", "+", "- 5", "-A1"],
)
def test_a_cell_that_starts_like_a_formula_gets_a_leading_quote(value):
    assert csv_safe_cell(value) == "'" + value


@pytest.mark.parametrize(
    "value", [5, -5, -0.25, 1e-9, None, True, "", "cat", "a=b", " =1", "'=1", "-5", "+1.5", "-2e-3"]
)
def test_numbers_plain_numeric_text_and_ordinary_text_are_left_alone(value):
    assert csv_safe_cell(value) == value


def test_the_writer_writes_what_csv_writer_writes_with_cells_neutralised():
    out = io.StringIO()
    writer = csv_safe_writer(out)
    writer.writerow(["=1+1", -3, "-3", 'say "hi", then =2'])
    writer.writerows([["@x"], ["ok"]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["'=1+1", "-3", "-3", 'say "hi", then =2'],
        ["'@x"],
        ["ok"],
    ]
