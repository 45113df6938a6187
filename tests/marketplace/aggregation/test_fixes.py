"""Regression tests for the fixes made while matching crowd-kit: one-coin collapse, Wawa-style
weights, MACE by variational Bayes, the vectorised Dawid-Skene layout, the duplicate fast path."""

import numpy as np
import pytest

from marketplace.aggregation import METHODS, aggregate, encode_answers, keep_last_answer
from marketplace.aggregation import ds as ds_module
from marketplace.aggregation._common import prepare


def biased_crowd(seed=0, n_tasks=400, k=4):
    """Fifteen honest workers (70% right) and fifteen who answer label 1 on 70% of tasks
    whatever the truth, five answers per task: the shape of trec_rf10, where one-coin EM with a
    learnt class prior used to collapse onto the popular label."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, n_tasks)
    tasks, workers, labels = [], [], []
    for t in range(n_tasks):
        for w in rng.choice(30, 5, replace=False):
            if w < 15:  # honest
                label = truth[t] if rng.random() < 0.7 else rng.integers(0, k)
            else:  # biased towards label 1
                label = 1 if rng.random() < 0.7 else rng.integers(0, k)
            tasks.append(t)
            workers.append(w)
            labels.append(label)
    arrays = {"task_idx": np.array(tasks), "worker_idx": np.array(workers)}
    arrays |= {"label_idx": np.array(labels), "n_tasks": n_tasks, "n_workers": 30, "n_labels": k}
    return arrays, truth


def test_onecoin_does_not_collapse_onto_the_popular_label():
    arrays, truth = biased_crowd()
    onecoin = METHODS["onecoin"](**arrays)
    majority = METHODS["mv"](**arrays)
    assert (onecoin.labels == truth).mean() > (majority.labels == truth).mean() + 0.1
    assert np.bincount(onecoin.labels, minlength=4).max() < 0.4 * arrays["n_tasks"]
    # A learnt class prior (the old default) shows the failure the uniform prior guards against.
    learnt = METHODS["onecoin"](**arrays, learn_prior=True)
    assert (learnt.labels == truth).mean() < 0.4
    assert learnt.class_prior[1] > 0.7


def test_onecoin_accuracy_never_goes_below_chance():
    arrays, _ = biased_crowd()
    assert (METHODS["onecoin"](**arrays).worker_skill >= 1 / 4 - 1e-12).all()


def test_wmv_weights_are_accuracy_against_the_majority_labels_like_wawa():
    records = [("t1", "a", "x"), ("t1", "b", "x"), ("t1", "c", "y"),
               ("t2", "a", "y"), ("t2", "b", "y"), ("t2", "c", "y"),
               ("t3", "a", "x"), ("t3", "b", "y"), ("t3", "c", "y")]  # fmt: skip
    encoded = encode_answers(records)
    result = aggregate("wmv", encoded, max_iter=1)
    skill = dict(zip(encoded.workers, result.worker_skill, strict=True))
    # Majority labels: t1 = x, t2 = y, t3 = y. a matches 2 of 3, b 3 of 3, c 2 of 3.
    assert skill == pytest.approx({"a": 2 / 3, "b": 1.0, "c": 2 / 3})


def test_mace_rates_a_constant_answerer_as_spamming():
    records = []
    for i in range(40):
        truth = "a" if i % 2 else "b"
        records += [(f"t{i}", "good1", truth), (f"t{i}", "good2", truth), (f"t{i}", "spam", "a")]
    encoded = encode_answers(records)
    result = aggregate("mace", encoded)
    skill = dict(zip(encoded.workers, result.worker_skill, strict=True))
    assert skill["good1"] > 0.8 and skill["spam"] < 0.3


@pytest.mark.parametrize("method", sorted(METHODS))
def test_a_task_with_thousands_of_answers_does_not_underflow(method):
    rng = np.random.default_rng(1)
    n = 3000
    labels = np.where(rng.random(n) < 0.8, 0, 1)
    result = METHODS[method](np.zeros(n, dtype=int), np.arange(n), labels,
                             n_tasks=1, n_workers=n, n_labels=2)  # fmt: skip
    assert np.isfinite(result.posteriors).all()
    assert result.labels[0] == 0


def reference_ds(answers, iterations):
    """Textbook Dawid-Skene with np.add.at, for checking the sparse layout."""
    k = answers.n_labels
    post = np.zeros((answers.n_tasks, k))
    np.add.at(post, (answers.t, answers.y), 1.0)
    post /= post.sum(axis=1, keepdims=True)
    for _ in range(iterations):
        counts = np.full((answers.n_workers, k, k), ds_module.DEFAULT_ALPHA)
        np.add.at(counts, (answers.w, slice(None), answers.y), post[answers.t])
        confusion = counts / counts.sum(axis=2, keepdims=True)  # [worker, true, given]
        prior = post.sum(axis=0) + 1.0
        prior /= prior.sum()
        log_post = np.tile(np.log(prior), (answers.n_tasks, 1))
        np.add.at(log_post, answers.t, np.log(confusion[answers.w, :, answers.y]))
        post = np.exp(log_post - log_post.max(axis=1, keepdims=True))
        post /= post.sum(axis=1, keepdims=True)
    return post


def test_vectorised_ds_matches_a_textbook_implementation():
    arrays, _ = biased_crowd(seed=3, n_tasks=150)
    answers = prepare(**arrays)
    ours = ds_module.fit(answers, max_iter=5, tol=-np.inf)[0]
    np.testing.assert_allclose(ours, reference_ds(answers, 5), atol=2e-4)


def test_gold_answers_weigh_more_in_the_workers_matrices():
    arrays, truth = biased_crowd(seed=4, n_tasks=200)
    gold = {t: int(truth[t]) for t in range(0, 200, 10)}
    answers = prepare(**arrays, gold=gold)
    once = ds_module.fit(answers, gold_weight=1.0, max_iter=1)[2]
    twice = ds_module.fit(answers, gold_weight=2.0, max_iter=1)[2]
    assert not np.allclose(once, twice)


def test_keep_last_answer_returns_input_untouched_without_duplicates():
    t, w, y = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), np.array([1, 0, 1, 1])
    out = keep_last_answer(t, w, y, 2)
    assert out[3] == 0 and out[0] is t and out[2] is y
    dup = keep_last_answer(np.array([0, 0, 0]), np.array([1, 0, 1]), np.array([0, 1, 1]), 2)
    assert dup[3] == 1 and list(dup[2]) == [1, 1]
