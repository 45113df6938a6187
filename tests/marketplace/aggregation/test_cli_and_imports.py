"""The command line end to end, and the package staying free of Django."""

import csv
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[3]


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "marketplace.aggregation", *args],
                          cwd=REPO, capture_output=True, text=True, timeout=60)  # fmt: skip


def write(path, rows):
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return str(path)


def test_cli_writes_task_label_confidence(tmp_path):
    rows = [["task", "worker", "label"], ["t1", "w1", "x"], ["t1", "w2", "x"], ["t1", "w3", "y"]]
    answers = write(tmp_path / "a.csv", [*rows, ["t2", "w1", "y"], ["t2", "w2", "y"]])
    gold = write(tmp_path / "g.csv", [["task", "label"], ["t2", "y"]])
    out = tmp_path / "out.csv"
    done = run_cli("--method", "mv", "--answers", answers, "--gold", gold, "--out", str(out))
    assert done.returncode == 0, done.stderr
    with open(out) as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["task"], r["label"]) for r in rows] == [("t1", "x"), ("t2", "y")]
    assert float(rows[0]["confidence"]) > 0.6 and float(rows[1]["confidence"]) == 1.0


def test_cli_reports_the_bad_row_and_field_and_exits_non_zero(tmp_path):
    answers = write(tmp_path / "a.csv", [["task", "worker", "label"], ["t1", "w1", "x"],
                                         ["t1", "", "y"]])  # fmt: skip
    done = run_cli("--answers", answers, "--out", str(tmp_path / "o.csv"))
    assert done.returncode == 2
    assert "line 3" in done.stderr and "'worker' is empty" in done.stderr


def test_cli_rejects_a_wrong_header(tmp_path):
    answers = write(tmp_path / "a.csv", [["task", "label"], ["t1", "x"]])
    done = run_cli("--answers", answers, "--out", str(tmp_path / "o.csv"))
    assert done.returncode == 2 and "header must be task,worker,label" in done.stderr


def test_aggregation_package_imports_without_django():
    modules = "ds, glad, mace, mv, onecoin, wmv, multilabel, numeric, text, spans, boxes, pairwise"
    code = (f"import sys; import marketplace.aggregation; from marketplace.aggregation import "
            f"{modules}, cli; assert 'django' not in sys.modules, 'django imported'")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
