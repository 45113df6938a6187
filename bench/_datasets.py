"""Load the shared crowdsourcing data sets (answers.csv + gold.csv per folder)."""

from __future__ import annotations

import csv
import os
import pathlib
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

NAMES = [
    "bluebirds", "wsd", "temp", "music_genre", "rte", "dog", "web", "d_product", "adult2",
    "trec_rf10",
]  # fmt: skip

# crowd-kit 1.4.2 reference accuracy (shared/datasets/README.md) - mean of the best column.
CROWDKIT_BEST = {
    "bluebirds": 0.889, "wsd": 0.994, "temp": 0.944, "music_genre": 0.800, "rte": 0.928,
    "dog": 0.843, "web": 0.829, "d_product": 0.940, "adult2": 0.766, "trec_rf10": 0.617,
}  # fmt: skip


def default_root() -> pathlib.Path:
    return pathlib.Path(os.environ.get("QUORUM_DATASETS", REPO.parent / "shared" / "datasets"))


def load(root: pathlib.Path, name: str) -> tuple[list[tuple[str, str, str]], dict[str, str]]:
    """Answers as (task, worker, label) and gold restricted to tasks that have answers."""
    with open(root / name / "answers.csv", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        answers = [(t, w, label) for t, w, label in reader]
    with open(root / name / "gold.csv", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        gold = dict((t, label) for t, label in reader)
    answered = {t for t, _, _ in answers}
    return answers, {t: g for t, g in gold.items() if t in answered}


def accuracy(predicted: dict[str, str], gold: dict[str, str], tasks=None) -> float:
    tasks = gold.keys() if tasks is None else tasks
    tasks = list(tasks)
    return sum(predicted.get(t) == gold[t] for t in tasks) / max(len(tasks), 1)
