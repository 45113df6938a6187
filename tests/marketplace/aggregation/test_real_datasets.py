"""Each method on small real data sets, against floors a little under the measured accuracy."""

import csv

import pytest

from marketplace.aggregation import aggregate, encode_answers

# Measured (docs/aggregation.md) minus ~1 point.
FLOORS = {
    "bluebirds": {"mv": 0.75, "wmv": 0.75, "ds": 0.88, "onecoin": 0.75, "glad": 0.71, "mace": 0.85},
    "wsd": {m: 0.98 for m in ("mv", "wmv", "ds", "onecoin", "glad", "mace")},
    "temp": {"mv": 0.93, "wmv": 0.93, "ds": 0.93, "onecoin": 0.925, "glad": 0.925, "mace": 0.93},
    "rte": {"mv": 0.91, "wmv": 0.91, "ds": 0.915, "onecoin": 0.91, "glad": 0.915, "mace": 0.915},
}


def load(root, name):
    with open(root / name / "answers.csv", newline="") as handle:
        answers = [tuple(row) for row in list(csv.reader(handle))[1:]]
    with open(root / name / "gold.csv", newline="") as handle:
        gold = dict(tuple(row) for row in list(csv.reader(handle))[1:])
    return answers, gold


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_every_method_beats_its_floor_on_real_data(datasets_root, name):
    answers, gold = load(datasets_root, name)
    encoded = encode_answers(answers)
    for method, floor in FLOORS[name].items():
        labels = {t: label for t, label, _ in aggregate(method, encoded).decode(encoded)}
        accuracy = sum(labels[t] == g for t, g in gold.items()) / len(gold)
        assert accuracy >= floor, f"{method} on {name}: {accuracy:.4f} < {floor}"


def test_onecoin_no_longer_collapses_on_trec_rf10(datasets_root):
    # With a learnt class prior, one-coin EM put 84% of the prior on label "1" and scored 0.254
    # (majority vote: 0.557). The uniform prior and the chance floor keep it at 0.534.
    answers, gold = load(datasets_root, "trec_rf10")
    encoded = encode_answers(answers)
    labels = {t: label for t, label, _ in aggregate("onecoin", encoded).decode(encoded)}
    scored = [t for t in gold if t in labels]
    accuracy = sum(labels[t] == gold[t] for t in scored) / len(scored)
    assert accuracy >= 0.52
