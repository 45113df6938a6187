"""The default method ``auto`` (per-project choice of ds, mace or their average by held-out
answers) and the dynamic-overlap rule (vote-margin confidence), without a database."""

import numpy as np
import pytest

from marketplace.aggregation import DEFAULT_METHOD, aggregate, auto, encode_answers
from marketplace.aggregation.overlap import (
    margin_confidence,
    required_margin,
    settled,
    vote_margin,
)
from tests.marketplace.aggregation.test_real_datasets import load


def accuracy_of(result, encoded, gold):
    labels = {t: label for t, label, _ in result.decode(encoded)}
    return sum(labels[t] == g for t, g in gold.items()) / len(gold)


def test_auto_is_the_default_method():
    assert DEFAULT_METHOD == "auto"


@pytest.mark.parametrize(
    ("name", "chosen", "floor"),
    [
        # 10 labels, ~67 answers per worker: full confusion matrices overfit, MACE does not.
        ("music_genre", "mace", 0.795),
        # Two labels with a skewed prior and asymmetric errors: Dawid-Skene's home ground.
        ("d_product", "ds", 0.93),
    ],
)
def test_auto_picks_the_model_that_predicts_held_out_answers_best(
    datasets_root, name, chosen, floor
):
    answers, gold = load(datasets_root, name)
    encoded = encode_answers(answers)

    result = aggregate("auto", encoded)

    assert result.details["chosen"] == chosen
    scores = result.details["heldout_log_likelihood"]
    assert scores[chosen] == max(scores.values())
    assert accuracy_of(result, encoded, gold) >= floor
    # Whatever wins, workers get Dawid-Skene confusion matrices [worker, true, given].
    k = encoded.n_labels
    assert result.worker_skill.shape == (encoded.n_workers, k, k)
    assert np.allclose(result.worker_skill.sum(axis=2), 1.0)


def test_auto_beats_ds_and_mace_where_each_fails(datasets_root):
    # ds alone: music_genre 0.769; mace alone: d_product 0.827 (docs/aggregation.md).
    music = load(datasets_root, "music_genre")
    product = load(datasets_root, "d_product")
    for (answers, gold), method, below in ((music, "ds", 0.78), (product, "mace", 0.85)):
        encoded = encode_answers(answers)
        assert accuracy_of(aggregate(method, encoded), encoded, gold) < below
        assert accuracy_of(aggregate("auto", encoded), encoded, gold) > below + 0.01


def test_with_gold_auto_takes_the_class_prior_from_the_gold_tasks():
    records = [(f"t{i}", f"w{j}", "a" if (i + j) % 4 else "b") for i in range(30) for j in range(5)]
    gold = {"t0": "b", "t1": "b", "t2": "a"}  # 2 x b, 1 x a, plus one pseudo-count each

    result = aggregate("auto", records, gold=gold)
    without = aggregate("auto", records, gold=gold, gold_prior=False)

    encoded = encode_answers(records, gold=gold)
    b = encoded.labels.index("b")
    assert result.class_prior[b] == pytest.approx(3 / 5)
    assert without.class_prior[b] != pytest.approx(3 / 5)
    labels = {t: label for t, label, _ in result.decode(encoded)}
    assert [labels[t] for t in ("t0", "t1", "t2")] == ["b", "b", "a"]


def test_auto_on_a_handful_of_answers_uses_the_average_and_is_deterministic():
    records = [("t1", "w1", "x"), ("t1", "w2", "x"), ("t1", "w3", "y"), ("t2", "w1", "y")]

    first = aggregate("auto", records, seed=3)
    again = aggregate("auto", records, seed=3)

    assert first.details["chosen"] == auto.FALLBACK
    assert np.array_equal(first.labels, again.labels)
    assert np.allclose(first.posteriors.sum(axis=1), 1.0)


def test_held_out_score_prefers_posteriors_that_predict_the_hidden_answers():
    from marketplace.aggregation._common import prepare

    # Three reliable workers always give the truth "a" on even tasks, "b" on odd ones.
    t = np.repeat(np.arange(20), 3)
    w = np.tile(np.arange(3), 20)
    y = t % 2
    answers = prepare(t, w, y, n_tasks=20, n_workers=3, n_labels=2)
    train = np.arange(60) % 3 != 0
    truth = np.eye(2)[np.arange(20) % 2]
    flipped = truth[:, ::-1]
    unsure = np.full((20, 2), 0.5)

    scores = [auto.heldout_log_likelihood(answers, train, p) for p in (truth, flipped, unsure)]

    # Flipped posteriors are as consistent as the truth (workers "always lie" explains the
    # answers equally well), but a coin flip explains nothing.
    assert scores[0] == pytest.approx(scores[1])
    assert scores[0] > scores[2]


def test_vote_margin_confidence_maps_the_project_target_to_votes_ahead():
    assert [required_margin(t) for t in (0.5, 0.75, 0.9, 0.95, 0.99)] == [0, 1, 2, 3, 5]
    assert margin_confidence(3) == pytest.approx(27 / 28)
    with pytest.raises(ValueError, match="confidence target"):
        required_margin(1.0)


def test_a_task_settles_when_its_leader_is_far_enough_ahead():
    # t0: a a a (3 ahead); t1: a a a b (2 ahead); t2: a b (tie); t3: no answers.
    task = [0, 0, 0, 1, 1, 1, 1, 2, 2]
    label = [0, 0, 0, 0, 0, 0, 1, 0, 1]

    margins = vote_margin(task, label, n_tasks=4, n_labels=2)
    done = settled(task, label, n_tasks=4, n_labels=2, target=0.95)

    assert margins.tolist() == [3, 2, 0, 0]
    assert done.tolist() == [True, False, False, False]
    assert settled(task, label, n_tasks=4, n_labels=2, target=0.9).tolist() == [
        True,
        True,
        False,
        False,
    ]
