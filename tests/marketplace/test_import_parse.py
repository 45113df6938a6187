"""Parsing task files (CSV, JSON Lines): good rows out, every bad row reported with its line and
field, file-level problems as FileProblem, memory flat on big files. No database."""

import io
import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from marketplace.importing import FileProblem, TaskFileParser, detect_format, parse_task_file
from marketplace.task_types import TASK_TYPES, task_type

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LABELS = {"labels": ["positive", "negative", "neutral"]}


def parser(content: bytes | str, fmt="csv", kind="classification", config=None, **options):
    if isinstance(content, str):
        content = content.encode()
    kind = task_type(kind)
    config = kind.clean_config(LABELS if config is None else config)
    return parse_task_file(
        io.BytesIO(content), task_type=kind, config=config, format=fmt, **options
    )


def parse(content, fmt="csv", **options):
    """(rows, errors as (line, field) pairs, the parser)."""
    file_parser = parser(content, fmt, **options)
    rows = list(file_parser.rows())
    return rows, [(error.line, error.field) for error in file_parser.errors], file_parser


def file_problem(content, fmt="csv", **options) -> FileProblem:
    with pytest.raises(FileProblem) as caught:
        list(parser(content, fmt, **options).rows())
    return caught.value


# -- CSV ---------------------------------------------------------------------------------------


def test_csv_rows_carry_id_data_metadata_and_gold():
    rows, errors, _ = parse(
        "external_id,text,gold_answer,gold_explanation,source\n"
        "r1,Loved it,positive,Says it loved it,web\n"
        "r2,Meh,,,app\n"
    )
    assert errors == []
    assert [tuple(row) for row in rows] == [
        (2, "r1", {"text": "Loved it", "source": "web"}, "positive", "Says it loved it"),
        (3, "r2", {"text": "Meh", "source": "app"}, None, ""),
    ]


def test_csv_header_names_match_ignoring_case_and_spaces_and_id_is_an_alias():
    rows, errors, file_parser = parse(" ID , Text ,Gold_Answer\n7,hello,neutral\n")
    assert errors == []
    assert rows[0].external_id == "7" and rows[0].data == {"text": "hello"}
    assert rows[0].gold_answer == "neutral"
    assert file_parser.header == ["id", "text", "gold_answer"]


def test_csv_line_numbers_are_physical_lines_across_quoted_newlines_and_blank_lines():
    rows, errors, _ = parse('text\n"two\nlines"\n\n,\nthird\n"bad\n\nlines",extra\n')
    assert [(row.line, row.data["text"]) for row in rows] == [(2, "two\nlines"), (6, "third")]
    assert errors == [(7, "")]


def test_every_bad_csv_row_is_reported_with_line_and_field():
    rows, errors, file_parser = parse(
        "external_id,text,image_url,gold_answer,gold_explanation\n"
        "a,fine,,,\n"  # 2
        "b,,,,\n"  # 3: no text nor image
        "c,x,ftp://host/p.png,,\n"  # 4: bad URL
        "d,x,,happy,\n"  # 5: unknown label
        "a,x,,,\n"  # 6: a repeated id is the database's to find (test_imports.py)
        "e,x,,,why\n"  # 7: explanation without gold
        "f,x\n"  # 8: too few values
        "g,,,sad,\n"  # 9: two problems at once
    )
    assert [(row.line, row.external_id) for row in rows] == [(2, "a"), (6, "a")]
    assert errors == [
        (3, "text"),
        (4, "image_url"),
        (5, "gold_answer"),
        (7, "gold_explanation"),
        (8, ""),
        (9, "text"),
        (9, "gold_answer"),
    ]
    assert file_parser.rows_rejected == 6 and file_parser.error_count == 7
    assert file_parser.rows_read == 8


def test_the_parser_keeps_repeated_ids_for_the_database_to_report():
    rows, errors, _ = parse("id,text\nx,one\ny,two\nx,three\n")
    assert errors == []
    assert [(row.line, row.external_id) for row in rows] == [(2, "x"), (3, "y"), (4, "x")]


def test_csv_gold_is_decoded_per_type():
    rows, errors, _ = parse(
        'text,gold_answer\nhi,"[""positive"", ""neutral""]"\nho,positive\n',
        kind="multi_label",
    )
    assert rows[0].gold_answer == ["positive", "neutral"]
    assert errors == [(3, "gold_answer")]
    rows, errors, _ = parse(
        "text,gold_answer\nhi,4\nho,9\n", kind="rating", config={"min": 1, "max": 5}
    )
    assert rows[0].gold_answer == 4 and errors == [(3, "gold_answer")]


def test_gold_errors_name_the_field_inside_the_answer():
    _, _, file_parser = parse(
        'text,gold_answer\nAda,"[{""start"": 0, ""end"": 30, ""label"": ""PER""}]"\n',
        kind="spans",
        config={"labels": ["PER", "LOC"]},
    )
    assert str(file_parser.errors[0]) == (
        "line 2: gold_answer[0].end: 30 is past the end of the text (3 characters)"
    )


def test_a_gold_upload_requires_a_gold_answer_on_every_row():
    rows, errors, file_parser = parse("text,gold_answer\na,positive\nb,\n", require_gold=True)
    assert len(rows) == 1 and errors == [(3, "gold_answer")]
    assert file_parser.gold_accepted == 1


def test_missing_required_columns_are_a_file_problem_naming_them():
    problem = file_problem("txt,gold_answer\nhello,positive\n")
    assert problem.line == 1
    assert "'text' or 'image_url'" in str(problem) and "'txt'" in str(problem)
    problem = file_problem("a,c\nx,y\n", kind="pairwise", config={})
    assert "'b'" in str(problem) and "'a'" not in str(problem).split("lacks")[1].split(",")[0]


def test_unknown_columns_are_kept_as_data_and_a_look_alike_is_a_warning_not_an_error():
    rows, errors, file_parser = parse("text,gold_anwser\nhi,positive\n")
    assert errors == []
    assert rows[0].data == {"text": "hi", "gold_anwser": "positive"}
    assert rows[0].gold_answer is None
    assert "did you mean 'gold_answer'" in file_parser.warnings[0]


def test_a_repeated_column_is_a_file_problem():
    assert "appears twice" in str(file_problem("text,Text\na,b\n"))


def test_a_utf8_bom_is_accepted():
    rows, errors, _ = parse(b"\xef\xbb\xbftext\nh\xc3\xa9llo\n")
    assert errors == [] and rows[0].data == {"text": "héllo"}


def test_a_file_that_is_not_utf8_names_the_byte_and_line():
    problem = file_problem(b"text\nfine\ncaf\xe9\n")
    assert "not UTF-8" in str(problem)
    assert "byte offset 13" in str(problem) and "line 3" in str(problem)


def test_a_utf8_character_split_across_read_chunks_is_fine():
    text = "x" * (64 * 1024 - 6) + "é" * 10
    rows, errors, _ = parse(f"text\n{text}\n".encode())
    assert errors == [] and rows[0].data["text"] == text


def test_a_file_cut_inside_a_utf8_character_is_not_utf8():
    assert "not UTF-8" in str(file_problem("text\ncafé".encode()[:-1]))


def test_binary_content_is_refused():
    problem = file_problem(b"text\nab\x00cd\n")
    assert "NUL byte" in str(problem) and "line 2" in str(problem)
    assert "UTF-16" in str(file_problem("text\nhello\n".encode("utf-16")))
    assert "Excel" in str(file_problem(b"PK\x03\x04rest of a zip"))


def test_empty_files_are_refused():
    assert str(file_problem(b"")) == "the file is empty"
    assert str(file_problem(b"\n\n")) == "the file is empty"
    assert "no rows" in str(file_problem(b"text\n\n"))
    assert "no rows" in str(file_problem(b"\n \n", fmt="jsonl"))


def test_a_file_over_the_size_limit_is_refused_while_streaming():
    content = b"text\n" + b"a fine row\n" * 10_000
    file_parser = parser(content, max_bytes=100_000)
    rows = file_parser.rows()
    first = next(rows)  # the limit is found while reading, not up front
    assert first.line == 2
    with pytest.raises(FileProblem, match="larger than the limit of 100,000 bytes"):
        list(rows)


def test_a_huge_csv_value_is_a_file_problem_not_a_crash():
    problem = file_problem("text\n" + "x" * 200_000 + "\n")
    assert "longer than" in str(problem)


def test_rejected_rows_are_handed_over_raw_for_a_rejected_file():
    seen = []
    _, _, _ = parse(
        "text,source\nok,web\n,app\n",
        on_rejected=lambda line, raw, errors: seen.append((line, raw, len(errors))),
    )
    assert seen == [(3, ["", "app"], 1)]


def test_stored_errors_are_capped_but_all_are_counted():
    content = "text,gold_answer\n" + "x,wrong\n" * 50
    _, errors, file_parser = parse(content, max_errors=10)
    assert len(errors) == 10 and file_parser.error_count == 50
    assert file_parser.errors_truncated


def test_chunks_stream_good_rows_in_lists():
    content = "text\n" + "".join(f"row {n}\n" for n in range(25))
    sizes = [len(chunk) for chunk in parser(content).chunks(10)]
    assert sizes == [10, 10, 5]


def test_a_parser_reads_its_file_once():
    file_parser = parser("text\nx\n")
    list(file_parser.rows())
    with pytest.raises(RuntimeError):
        file_parser.rows()


# -- JSON Lines --------------------------------------------------------------------------------


def test_jsonl_nested_and_flat_lines_both_work():
    content = "\n".join(
        [
            json.dumps(
                {"data": {"text": "a", "n": 1}, "external_id": "x", "gold_answer": "neutral"}
            ),
            "",
            json.dumps({"text": "b", "id": 42, "gold_explanation": None}),
        ]
    )
    rows, errors, _ = parse(content, fmt="jsonl")
    assert errors == []
    assert [tuple(row) for row in rows] == [
        (1, "x", {"text": "a", "n": 1}, "neutral", ""),
        (3, "42", {"text": "b"}, None, ""),
    ]


def test_every_bad_jsonl_line_is_reported_with_line_and_field():
    lines = [
        '{"text": "fine"}',  # 1
        '{"text": "oops",}',  # 2: bad JSON
        "[1, 2]",  # 3: not an object
        '{"data": {"text": "x"}, "source": "web"}',  # 4: key beside data
        '{"data": "x"}',  # 5: data not an object
        '{"data": {"image_url": "ftp://x"}}',  # 6: bad URL (nested field name)
        '{"text": "x", "external_id": 1.5}',  # 7: bad id
        '{"text": "x", "gold_answer": "joy"}',  # 8: bad gold
        '{"text": "a\\u0000b"}',  # 9: NUL the database cannot store
        '{"text": NaN}',  # 10: not JSON for PostgreSQL
        '{"text": "\\ud800"}',  # 11: lone surrogate
        '{"text": "ok", "external_id": "e", "id": "f"}',  # 12: both ids
    ]
    rows, errors, _ = parse("\n".join(lines) + "\n", fmt="jsonl")
    assert [row.line for row in rows] == [1]
    assert errors == [
        (2, ""),
        (3, ""),
        (4, "source"),
        (5, "data"),
        (6, "data.image_url"),
        (7, "external_id"),
        (8, "gold_answer"),
        (9, ""),
        (10, ""),
        (11, ""),
        (12, "id"),
    ]


def test_jsonl_numeric_ids_become_text_and_gold_keeps_its_type():
    content = (
        '{"text": "a", "external_id": 1, "gold_answer": 4}\n'
        '{"text": "b", "external_id": "1"}\n'
        '{"text": "c", "gold_answer": "4"}\n'
    )
    rows, errors, file_parser = parse(
        content, fmt="jsonl", kind="rating", config={"min": 1, "max": 5}
    )
    assert [(row.external_id, row.gold_answer) for row in rows] == [("1", 4), ("1", None)]
    assert errors == [(3, "gold_answer")]
    assert "whole number" in file_parser.errors[0].message


def test_jsonl_with_bom_and_crlf_line_endings():
    rows, errors, _ = parse(b'\xef\xbb\xbf{"text": "a"}\r\n{"text": "b"}\r\n', fmt="jsonl")
    assert errors == [] and [row.line for row in rows] == [1, 2]


# -- formats -----------------------------------------------------------------------------------


def test_the_format_comes_from_the_file_name_unless_given():
    assert detect_format("Tasks.CSV") == "csv"
    assert detect_format("tasks.ndjson") == "jsonl"
    assert detect_format("whatever.txt", "jsonl") == "jsonl"
    with pytest.raises(FileProblem, match=r"\.jsonl"):
        detect_format("tasks.json")
    with pytest.raises(FileProblem):
        detect_format("tasks.xlsx")
    with pytest.raises(FileProblem):
        detect_format("tasks.csv", "tsv")
    named = io.BytesIO(b"text\nx\n")
    named.name = "upload.csv"
    kind = task_type("classification")
    assert TaskFileParser(named, task_type=kind, config=kind.clean_config(LABELS)).format == "csv"


@pytest.mark.parametrize("name", list(TASK_TYPES))
def test_the_example_files_import_cleanly(name):
    """examples/<type>.csv and .jsonl are what docs/file-formats.md shows requesters."""
    config = json.loads((EXAMPLES / f"{name}.config.json").read_text())
    for path in sorted(EXAMPLES.glob(f"{name}.*")):
        if path.suffix not in (".csv", ".jsonl"):
            continue
        with path.open("rb") as stream:
            file_parser = parse_task_file(
                stream, task_type=name, config=task_type(name).clean_config(config)
            )
            rows = list(file_parser.rows())
        assert file_parser.errors == [], path.name
        assert rows and any(row.gold_answer is not None for row in rows), path.name


# -- size and memory ---------------------------------------------------------------------------

MEMORY_SCRIPT = r"""
import io, json, resource, sys
sys.path.insert(0, sys.argv[1])
from marketplace.importing import parse_task_file
from marketplace.task_types import task_type

kind = task_type("classification")
config = kind.clean_config({"labels": ["positive", "negative", "neutral"]})


class GeneratedCsv(io.RawIOBase):
    # A big CSV made on the fly, so the script itself holds no big buffer.

    def __init__(self, rows, with_ids):
        self.lines = (
            f"{'r%d' % n if with_ids else ''},Review {n}: fine but slow,"
            f"{'positive' if n % 10 == 0 else ''}\n".encode()
            for n in range(rows)
        )
        self.pending = bytearray(b"external_id,text,gold_answer\n")

    def readable(self):
        return True

    def readinto(self, buffer):
        while len(self.pending) < len(buffer):
            line = next(self.lines, None)
            if line is None:
                break
            self.pending += line
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        del self.pending[:size]
        return size


def parse(rows, with_ids):
    parser = parse_task_file(
        io.BufferedReader(GeneratedCsv(rows, with_ids)), task_type=kind, config=config, format="csv"
    )
    return sum(len(chunk) for chunk in parser.chunks(2000))


def peak_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


parse(5000, True)  # warm up: imports, caches
start = peak_kb()
plain = parse(200_000, False)
after_plain = peak_kb()
with_ids = parse(200_000, True)
print(json.dumps({"rows": [plain, with_ids], "plain_kb": after_plain - start,
                  "ids_kb": peak_kb() - start}))
"""


def test_a_200000_row_file_parses_with_flat_memory():
    """Peak resident memory, in a fresh process, does not grow with the rows, with or without
    external ids (a list of 200,000 parsed rows would take ~100 MB; a set of their ids ~5 MB:
    repeated ids are the database's to find)."""
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    figures = json.loads(result.stdout)
    assert figures["rows"] == [200_000, 200_000]
    assert figures["plain_kb"] < 4 * 1024, figures
    assert figures["ids_kb"] < 4 * 1024, figures


def test_a_small_file_allocates_little_beyond_a_chunk_of_rows():
    """tracemalloc's view of the same on a smaller file (tracing slows every allocation)."""
    content = "text\n" + "".join(f"row number {n} and quite ordinary\n" for n in range(10_000))
    file_parser = parser(content)
    tracemalloc.start()
    try:
        accepted = sum(len(chunk) for chunk in file_parser.chunks(1000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert accepted == 10_000
    assert peak < 1024 * 1024, f"peak {peak / 1024:.0f} KB"
