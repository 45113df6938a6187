"""Command line: aggregate a CSV of answers without Django settings or a database.

    python -m marketplace.aggregation --method ds --answers A.csv [--gold G.csv] --out L.csv

A.csv has the header ``task,worker,label``; G.csv ``task,label``; the output
``task,label,confidence``. Bad input stops with the file, line and field at fault and exit code 2.
"""

from __future__ import annotations

import argparse
import csv
import sys

from . import DEFAULT_METHOD, METHODS, aggregate, encode_answers


class InputFileError(Exception):
    pass


def read_rows(path: str, fields: tuple[str, ...]) -> list[tuple[str, ...]]:
    try:
        handle = open(path, newline="", encoding="utf-8")  # noqa: SIM115
    except OSError as error:
        raise InputFileError(f"{path}: cannot open ({error.strerror})") from error
    with handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or [h.strip().lower() for h in header] != list(fields):
            raise InputFileError(
                f"{path} line 1: header must be {','.join(fields)}, got {','.join(header or [])!r}"
            )
        rows = []
        for row in reader:
            line = reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != len(fields):
                raise InputFileError(
                    f"{path} line {line}: expected {len(fields)} fields "
                    f"({','.join(fields)}), got {len(row)}"
                )
            for name, value in zip(fields, row, strict=True):
                if not value.strip():
                    raise InputFileError(f"{path} line {line}: field '{name}' is empty")
            rows.append(tuple(value.strip() for value in row))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m marketplace.aggregation", description=__doc__)
    parser.add_argument("--method", choices=sorted(METHODS), default=DEFAULT_METHOD)
    parser.add_argument("--answers", required=True, help="CSV with header task,worker,label")
    parser.add_argument("--gold", help="CSV with header task,label")
    parser.add_argument("--out", required=True, help="output CSV task,label,confidence")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        records = read_rows(args.answers, ("task", "worker", "label"))
        if not records:
            raise InputFileError(f"{args.answers}: no answers after the header")
        gold: dict[str, str] = {}
        if args.gold:
            for task, label in read_rows(args.gold, ("task", "label")):
                if task in gold and gold[task] != label:
                    raise InputFileError(
                        f"{args.gold}: task {task!r} has two gold labels "
                        f"({gold[task]!r}, {label!r})"
                    )
                gold[task] = label
    except InputFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    encoded = encode_answers(records, gold=gold)
    result = aggregate(args.method, encoded, seed=args.seed)
    with open(args.out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["task", "label", "confidence"])
        for task, label, confidence in result.decode(encoded):
            writer.writerow([task, label, f"{confidence:.6f}"])
    print(
        f"{args.method}: {encoded.n_answers} answers, {encoded.n_tasks} tasks, "
        f"{encoded.n_workers} workers, {encoded.duplicates_dropped} duplicate answers dropped "
        f"(last kept) -> {args.out}",
        file=sys.stderr,
    )
    return 0
