"""Behaviour of the categorical aggregation methods on small hand-made inputs."""

import numpy as np
import pytest

from marketplace.aggregation import (
    DEFAULT_METHOD,
    METHODS,
    AggregationInputError,
    aggregate,
    encode_answers,
)

ALL = sorted(METHODS)
MODEL_BASED = ["ds", "onecoin", "glad", "mace", "wmv"]


def reliable_vs_spammers():
    """Worker R is always right; S1 and S2 always answer "b" (two-worker spam block).

    On 30 calibration tasks R and three honest helpers agree, so R's accuracy is learnable;
    on the contested task, R says "a" and both spammers say "b".
    """
    records = []
    for i in range(30):
        truth = "a" if i % 2 else "b"
        records += [(f"t{i}", "R", truth), (f"t{i}", "H1", truth), (f"t{i}", "H2", truth)]
        records += [(f"t{i}", "S1", "b"), (f"t{i}", "S2", "b")]
    records += [("contested", "R", "a"), ("contested", "S1", "b"), ("contested", "S2", "b")]
    return records


def label_of(method, records, task, **kwargs):
    encoded = encode_answers(records, gold=kwargs.pop("gold", None))
    result = aggregate(method, encoded, **kwargs)
    return dict((t, label) for t, label, _ in result.decode(encoded))[task], result, encoded


def test_reliable_worker_outvotes_two_spammers_under_ds_but_not_mv():
    records = reliable_vs_spammers()
    assert label_of("mv", records, "contested")[0] == "b"
    assert label_of("ds", records, "contested")[0] == "a"


@pytest.mark.parametrize("method", ALL)
def test_posteriors_sum_to_one_and_confidence_is_the_chosen_posterior(method):
    _, result, encoded = label_of(method, reliable_vs_spammers(), "t0")
    assert result.posteriors.shape == (encoded.n_tasks, encoded.n_labels)
    np.testing.assert_allclose(result.posteriors.sum(axis=1), 1.0, atol=1e-9)
    assert ((result.confidence >= 0) & (result.confidence <= 1)).all()
    chosen = result.posteriors[np.arange(encoded.n_tasks), result.labels]
    np.testing.assert_allclose(result.confidence, chosen)
    assert (result.labels == result.posteriors.argmax(axis=1)).all()


@pytest.mark.parametrize("method", ALL)
def test_same_seed_gives_identical_results(method):
    records = [*reliable_vs_spammers(), ("tie", "H1", "a"), ("tie", "H2", "b")]
    first = label_of(method, records, "tie", seed=7)[1]
    second = label_of(method, records, "tie", seed=7)[1]
    assert (first.labels == second.labels).all()
    np.testing.assert_array_equal(first.posteriors, second.posteriors)


@pytest.mark.parametrize("method", ALL)
def test_gold_clamps_the_task_to_its_gold_label(method):
    records = reliable_vs_spammers()
    label, result, encoded = label_of(method, records, "contested", gold={"contested": "b"})
    assert label == "b"
    index = encoded.tasks.index("contested")
    assert result.confidence[index] == 1.0


@pytest.mark.parametrize("method", ["ds", "onecoin", "mace", "wmv", "glad"])
def test_gold_changes_the_estimate_of_a_worker_who_contradicts_it(method):
    # W and V disagree on six tasks and agree on six; without gold nothing says who is right
    # on the first six, gold says V always is.
    records = [(f"g{i}", "W", "a") for i in range(6)] + [(f"g{i}", "V", "b") for i in range(6)]
    records += [(f"x{i}", "W", "a") for i in range(6)] + [(f"x{i}", "V", "a") for i in range(6)]
    gold = {f"g{i}": "b" for i in range(6)}
    _, without, enc = label_of(method, records, "g0")
    _, with_gold, enc_gold = label_of(method, records, "g0", gold=gold)
    w, v = enc_gold.workers.index("W"), enc_gold.workers.index("V")
    assert with_gold.worker_accuracy[w] <= without.worker_accuracy[enc.workers.index("W")] + 1e-9
    assert with_gold.worker_accuracy[v] > with_gold.worker_accuracy[w] + 0.3


def test_a_task_with_one_answer_takes_that_answer_under_every_method():
    records = [*reliable_vs_spammers(), ("lonely", "H1", "a")]
    for method in ALL:
        assert label_of(method, records, "lonely")[0] == "a", method


@pytest.mark.parametrize("method", ALL)
def test_a_worker_with_one_answer_gets_a_finite_skill(method):
    records = [*reliable_vs_spammers(), ("t0", "newcomer", "a")]
    _, result, encoded = label_of(method, records, "t0")
    skill = result.worker_skill[encoded.workers.index("newcomer")]
    assert np.isfinite(skill).all()
    assert 0.0 <= result.worker_accuracy[encoded.workers.index("newcomer")] <= 1.0


@pytest.mark.parametrize("method", ALL)
def test_a_label_nobody_gave_is_never_chosen_and_has_the_lowest_posterior(method):
    records = reliable_vs_spammers()
    encoded = encode_answers(records, labels=["a", "b", "never"])
    result = aggregate(method, encoded)
    never = encoded.labels.index("never")
    assert (result.labels != never).all()
    assert (result.posteriors[:, never] <= result.posteriors.min(axis=1) + 1e-12).all()


def test_repeated_answer_by_the_same_worker_keeps_only_the_last():
    records = [("t", "w1", "a"), ("t", "w1", "a"), ("t", "w1", "b"), ("t", "w2", "a")]
    records += [("t", "w3", "b")]
    encoded = encode_answers(records)
    assert encoded.n_answers == 3
    assert encoded.duplicates_dropped == 2
    result = aggregate("mv", encoded)
    np.testing.assert_allclose(result.posteriors[0], [1 / 3, 2 / 3])  # w1 now says b


def test_array_callers_get_the_same_duplicate_policy():
    result = METHODS["mv"](
        np.array([0, 0, 0]), np.array([0, 0, 1]), np.array([1, 0, 0]),
        n_tasks=1, n_workers=2, n_labels=2,
    )  # fmt: skip
    assert result.n_answers[0] == 2
    np.testing.assert_allclose(result.posteriors[0], [1.0, 0.0])


def test_a_task_without_answers_gets_the_class_prior():
    records = [("t1", "w", "a"), ("t2", "w", "a"), ("t3", "w", "b")]
    encoded = encode_answers(records, tasks=["empty"])
    result = aggregate("ds", encoded)
    index = encoded.tasks.index("empty")
    assert result.n_answers[index] == 0
    np.testing.assert_allclose(result.posteriors[index], result.class_prior)


def test_bad_indices_are_rejected_with_the_answer_number():
    with pytest.raises(AggregationInputError, match=r"label_idx\[1\] = 5"):
        METHODS["ds"](
            np.array([0, 0]), np.array([0, 1]), np.array([0, 5]),
            n_tasks=1, n_workers=2, n_labels=2,
        )  # fmt: skip


def test_unknown_method_is_rejected():
    with pytest.raises(AggregationInputError, match="unknown method"):
        aggregate("nope", [("t", "w", "a")])


def test_default_method_is_registered():
    assert DEFAULT_METHOD in METHODS


def test_ds_reports_confusion_matrices_with_rows_summing_to_one():
    _, result, encoded = label_of("ds", reliable_vs_spammers(), "t0")
    assert result.worker_skill.shape == (encoded.n_workers, 2, 2)
    np.testing.assert_allclose(result.worker_skill.sum(axis=2), 1.0)
    spammer = encoded.workers.index("S1")
    b = encoded.labels.index("b")
    assert result.worker_skill[spammer, :, b].min() > 0.9  # says "b" whatever the truth
