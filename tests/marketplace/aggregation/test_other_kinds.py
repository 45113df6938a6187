"""Multi-label, numeric, free text, spans, boxes and pairwise aggregation on tiny examples."""

import pytest

from marketplace.aggregation.boxes import aggregate_boxes
from marketplace.aggregation.multilabel import aggregate_multilabel
from marketplace.aggregation.numeric import aggregate_numeric
from marketplace.aggregation.pairwise import aggregate_pairwise
from marketplace.aggregation.spans import aggregate_spans
from marketplace.aggregation.text import aggregate_text


def test_multilabel_keeps_labels_chosen_by_most_workers():
    records = [("t", "a", {"cat", "dog"}), ("t", "b", {"cat"}), ("t", "c", {"cat", "dog"}),
               ("t", "d", {"bird", "dog"})]  # fmt: skip
    result = aggregate_multilabel(records)
    assert result.labels["t"] == {"cat", "dog"}
    assert result.confidence["t"]["bird"] < 0.5 < result.confidence["t"]["cat"]


def test_numeric_median_ignores_an_outlier_and_confidence_drops_with_spread():
    result = aggregate_numeric([("t", "a", 10), ("t", "b", 11), ("t", "c", 1000),
                                ("u", "a", 5), ("u", "b", 5)])  # fmt: skip
    assert result.values["t"] == 11
    assert result.confidence["u"] == 1.0
    assert result.confidence["t"] < 1.0


def test_numeric_trimmed_mean_drops_the_extremes():
    records = [("t", str(i), v) for i, v in enumerate([1, 2, 3, 4, 100])]
    assert aggregate_numeric(records, method="trimmed").values["t"] == pytest.approx(3.0)


def test_text_picks_the_answer_closest_to_the_others():
    records = [("t", "a", "The Eiffel Tower"), ("t", "b", "the eiffel tower."),
               ("t", "c", "Eiffel tower"), ("t", "d", "Big Ben")]  # fmt: skip
    result = aggregate_text(records)
    assert result.answers["t"].lower().startswith("the eiffel")
    assert 0.5 < result.confidence["t"] <= 1.0


def test_spans_keep_characters_most_workers_marked():
    records = [("t", "a", [(0, 5), (10, 14)]), ("t", "b", [(0, 4)]), ("t", "c", [(1, 5)])]
    spans = aggregate_spans(records).spans["t"]
    assert [(s, e) for s, e, _ in spans] == [(0, 5)]


def test_boxes_cluster_by_overlap_and_take_the_median():
    records = [("img", "a", [(0, 0, 10, 10), (50, 50, 60, 60)]),
               ("img", "b", [(1, 1, 11, 11)]), ("img", "c", [(0, 1, 10, 12)])]  # fmt: skip
    boxes = aggregate_boxes(records).boxes["img"]
    assert len(boxes) == 1  # the far box is drawn by one worker in three
    ((box, share),) = boxes
    assert box == (0.0, 1.0, 10.0, 11.0)
    assert share == 1.0


def test_bradley_terry_ranks_by_strength():
    comparisons = [("a", "b")] * 8 + [("b", "a")] * 2 + [("b", "c")] * 7 + [("c", "b")] * 3
    comparisons += [("a", "c")] * 9 + [("c", "a")]
    result = aggregate_pairwise(comparisons)
    assert result.ranking == ["a", "b", "c"]
    assert result.scores["a"] > result.scores["b"] > result.scores["c"]
