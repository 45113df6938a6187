"""The template types: config, data and answer rules, with the field each problem names.
No database."""

import json

import pytest

from marketplace.models import TemplateType
from marketplace.task_types import TASK_TYPES, ValidationProblem, task_type

LABELS = [
    {"value": "cat", "shortcut": "1", "description": "A cat"},
    {"value": "dog", "shortcut": "2"},
    "bird",
]


def fields(problem: ValidationProblem) -> list[str]:
    return [error["field"] for error in problem.errors]


def answer_problem(name, answer, config, data=None):
    kind = task_type(name)
    config = kind.clean_config(config)
    with pytest.raises(ValidationProblem) as caught:
        kind.clean_answer(answer, config=config, data=data or kind.example_data(config))
    return caught.value


# -- the registry ------------------------------------------------------------------------------


def test_every_template_type_of_the_model_has_a_task_type():
    assert set(TASK_TYPES) == set(TemplateType.values)


@pytest.mark.parametrize("name", list(TASK_TYPES))
def test_every_type_accepts_its_own_example(name):
    kind = task_type(name)
    config = kind.default_config()
    data = kind.example_data(config)
    assert kind.data_errors(data, config) == []
    answer = kind.clean_answer(kind.example_answer(config), config=config, data=data)
    assert json.loads(json.dumps(answer)) == answer
    assert kind.clean_config(config) == config  # cleaning a clean config changes nothing
    assert kind.aggregation_kind and kind.input_fields


def test_an_unknown_type_is_a_validation_problem_not_a_key_error():
    with pytest.raises(ValidationProblem) as caught:
        task_type("sentiment")
    assert fields(caught.value) == ["template_type"]
    assert "classification" in str(caught.value)


# -- label configs -----------------------------------------------------------------------------


def test_labels_are_normalised_with_description_and_lower_case_shortcut():
    config = task_type("classification").clean_config(
        {"labels": [{"value": " cat ", "shortcut": "C"}, "dog"]}
    )
    assert config["labels"] == [
        {"value": "cat", "description": "", "shortcut": "c"},
        {"value": "dog", "description": "", "shortcut": ""},
    ]


def test_a_duplicate_label_names_its_position_and_value():
    with pytest.raises(ValidationProblem) as caught:
        task_type("classification").clean_config({"labels": ["cat", "dog", "cat"]})
    assert str(caught.value) == "labels[2].value: duplicate label 'cat' (see labels[0])"


def test_a_duplicate_shortcut_is_refused_ignoring_case():
    with pytest.raises(ValidationProblem) as caught:
        task_type("spans").clean_config(
            {"labels": [{"value": "PER", "shortcut": "p"}, {"value": "ORG", "shortcut": "P"}]}
        )
    assert fields(caught.value) == ["labels[1].shortcut"]
    assert "already used by labels[0]" in str(caught.value)


def test_a_shortcut_must_be_one_key():
    with pytest.raises(ValidationProblem) as caught:
        task_type("classification").clean_config(
            {"labels": [{"value": "a", "shortcut": "ab"}, {"value": "b", "shortcut": " "}]}
        )
    assert fields(caught.value) == ["labels[0].shortcut", "labels[1].shortcut"]


@pytest.mark.parametrize("labels", [[], ["only"], None, "cat,dog"])
def test_fewer_than_two_labels_are_refused(labels):
    with pytest.raises(ValidationProblem) as caught:
        task_type("multi_label").clean_config({"labels": labels})
    assert fields(caught.value) == ["labels"]


def test_every_config_problem_is_reported_at_once():
    with pytest.raises(ValidationProblem) as caught:
        task_type("classification").clean_config(
            {"labels": [{"value": ""}, {"value": "x", "colour": "red"}, 7], "lables": []}
        )
    assert fields(caught.value) == [
        "lables",
        "labels[0].value",
        "labels[1].colour",
        "labels[2]",
    ]
    assert "did you mean 'labels'?" in str(caught.value)


def test_options_must_have_their_type():
    with pytest.raises(ValidationProblem) as caught:
        task_type("spans").clean_config({"labels": ["A", "B"], "allow_overlap": "yes"})
    assert fields(caught.value) == ["allow_overlap"]


def test_rating_needs_min_below_max():
    kind = task_type("rating")
    for config, field in [
        ({"min": 5, "max": 5}, "max"),
        ({"min": 5, "max": 1}, "max"),
        ({"min": 0, "max": 101}, "max"),
        ({"max": 5}, "min"),
        ({"min": 1.0, "max": 5}, "min"),
    ]:
        with pytest.raises(ValidationProblem) as caught:
            kind.clean_config(config)
        assert fields(caught.value) == [field], config


def test_rating_labels_must_be_points_of_the_scale_and_come_back_in_order():
    kind = task_type("rating")
    config = kind.clean_config({"min": 1, "max": 5, "labels": {"5": "Excellent", 1: "Poor"}})
    assert config["labels"] == {"1": "Poor", "5": "Excellent"}
    with pytest.raises(ValidationProblem) as caught:
        kind.clean_config({"min": 1, "max": 5, "labels": {"6": "Too far", "2": ""}})
    assert fields(caught.value) == ["labels.6", "labels.2"]


def test_free_text_max_length_defaults_and_is_bounded():
    kind = task_type("free_text")
    assert kind.clean_config({})["max_length"] == 2000
    with pytest.raises(ValidationProblem):
        kind.clean_config({"max_length": 0})


def test_shortcuts_map_keys_to_answers():
    assert task_type("classification").shortcuts(
        task_type("classification").clean_config({"labels": LABELS})
    ) == {"1": "cat", "2": "dog"}
    pairwise = task_type("pairwise")
    assert pairwise.shortcuts(pairwise.clean_config({"allow_tie": True})) == {
        "a": "a",
        "b": "b",
        "t": "tie",
    }
    rating = task_type("rating")
    assert rating.shortcuts(rating.clean_config({"min": 1, "max": 3})) == {"1": 1, "2": 2, "3": 3}
    assert rating.shortcuts(rating.clean_config({"min": 0, "max": 10})) == {}


# -- data --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "field"),
    [
        ("classification", {}, "data.text"),
        ("classification", {"text": ""}, "data.text"),
        ("classification", {"text": 12}, "data.text"),
        ("classification", {"image_url": "ftp://example.com/a.png"}, "data.image_url"),
        ("classification", {"image_url": "https://example.com/a b.png"}, "data.image_url"),
        ("free_text", {"other": "x"}, "data.text"),
        ("spans", {"image_url": "https://example.com/a.png"}, "data.text"),
        ("bounding_boxes", {"text": "hello"}, "data.image_url"),
        ("bounding_boxes", {"image_url": "javascript:alert(1)"}, "data.image_url"),
        ("pairwise", {"a": "left"}, "data.b"),
        ("pairwise", {"a": "left", "b": ["right"]}, "data.b"),
        ("rating", {"text": None}, "data.text"),
        ("rating", [], "data"),
    ],
)
def test_bad_data_names_the_field(name, data, field):
    kind = task_type(name)
    problems = kind.data_errors(data, kind.default_config())
    assert [problem["field"] for problem in problems] == [field]


def test_data_messages_say_what_is_needed():
    kind = task_type("spans")
    assert kind.data_errors({}, kind.default_config()) == [
        {"field": "data.text", "message": "required for a spans task"}
    ]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("classification", {"text": "hi"}),
        ("classification", {"image_url": "HTTPS://example.com/cat.jpg?size=2"}),
        ("classification", {"text": "hi", "image_url": "http://example.com/x.png", "x": 1}),
        ("pairwise", {"a": "https://example.com/1.png", "b": "plain text"}),
    ],
)
def test_good_data_has_no_errors(name, data):
    kind = task_type(name)
    assert kind.data_errors(data, kind.default_config()) == []


# -- answers -----------------------------------------------------------------------------------


def test_classification_answer_is_one_label():
    kind = task_type("classification")
    config = kind.clean_config({"labels": LABELS})
    assert kind.clean_answer(" dog ", config=config, data={"text": "x"}) == "dog"
    problem = answer_problem("classification", "Dog", {"labels": LABELS})
    assert str(problem) == (
        "answer: 'Dog' is not one of the labels ('cat', 'dog', 'bird'); did you mean 'dog'?"
    )
    assert fields(answer_problem("classification", ["cat"], {"labels": LABELS})) == ["answer"]


def test_multi_label_answer_is_distinct_labels_in_config_order():
    kind = task_type("multi_label")
    config = kind.clean_config({"labels": LABELS})
    assert kind.clean_answer(["bird", "cat"], config=config, data={}) == ["cat", "bird"]
    problem = answer_problem("multi_label", ["cat", "cow", "cat", 3], {"labels": LABELS})
    assert fields(problem) == ["answer[1]", "answer[2]", "answer[3]"]
    assert "listed twice" in problem.errors[1]["message"]
    assert fields(answer_problem("multi_label", "cat", {"labels": LABELS})) == ["answer"]


def test_multi_label_empty_answer_only_when_allowed():
    assert "allow_empty" in str(answer_problem("multi_label", [], {"labels": LABELS}))
    kind = task_type("multi_label")
    config = kind.clean_config({"labels": LABELS, "allow_empty": True})
    assert kind.clean_answer([], config=config, data={}) == []


def test_free_text_answer_is_non_empty_and_within_max_length():
    kind = task_type("free_text")
    config = kind.clean_config({"max_length": 5})
    assert kind.clean_answer("  hello ", config=config, data={}) == "hello"
    assert "over the limit of 5" in str(answer_problem("free_text", "too long", {"max_length": 5}))
    assert fields(answer_problem("free_text", "   ", {})) == ["answer"]
    assert fields(answer_problem("free_text", None, {})) == ["answer"]


SPANS = {"labels": ["PER", "LOC"]}
TEXT = {"text": "x" * 98}


def test_spans_answer_is_sorted_and_keeps_only_start_end_label():
    kind = task_type("spans")
    config = kind.clean_config(SPANS)
    answer = [
        {"start": 10, "end": 12, "label": "LOC", "text": "xx"},
        {"start": 0, "end": 3, "label": "PER"},
    ]
    assert kind.clean_answer(answer, config=config, data=TEXT) == [
        {"start": 0, "end": 3, "label": "PER"},
        {"start": 10, "end": 12, "label": "LOC"},
    ]


def test_spans_past_the_end_of_the_text_say_how_long_it_is():
    problem = answer_problem("spans", [{"start": 90, "end": 120, "label": "PER"}], SPANS, TEXT)
    assert str(problem) == "answer[0].end: 120 is past the end of the text (98 characters)"


def test_every_bad_span_is_reported_with_its_field():
    answer = [
        {"start": -1, "end": 2, "label": "PER"},
        {"start": 5, "end": 5, "label": "PER"},
        {"start": 1.5, "end": 3, "label": "PER"},
        {"start": True, "end": 3, "label": "PER"},
        {"start": 1, "end": 3, "label": "ORG"},
        "0-3",
    ]
    assert fields(answer_problem("spans", answer, SPANS, TEXT)) == [
        "answer[0].start",
        "answer[1].end",
        "answer[2].start",
        "answer[3].start",
        "answer[4].label",
        "answer[5]",
    ]


def test_identical_spans_are_refused():
    span = {"start": 0, "end": 3, "label": "PER"}
    problem = answer_problem("spans", [span, dict(span)], {**SPANS, "allow_overlap": True}, TEXT)
    assert str(problem) == "answer[1]: the same span as [0]"


def test_overlapping_spans_of_different_labels_need_allow_overlap():
    answer = [{"start": 0, "end": 5, "label": "PER"}, {"start": 3, "end": 8, "label": "LOC"}]
    problem = answer_problem("spans", answer, SPANS, TEXT)
    assert fields(problem) == ["answer[1]"] and "allow_overlap" in str(problem)
    kind = task_type("spans")
    config = kind.clean_config({**SPANS, "allow_overlap": True})
    assert len(kind.clean_answer(answer, config=config, data=TEXT)) == 2
    touching = [{"start": 0, "end": 3, "label": "PER"}, {"start": 3, "end": 5, "label": "PER"}]
    assert len(kind.clean_answer(touching, config=config, data=TEXT)) == 2


def test_overlapping_spans_with_the_same_label_are_always_refused():
    answer = [{"start": 0, "end": 5, "label": "PER"}, {"start": 2, "end": 4, "label": "PER"}]
    problem = answer_problem("spans", answer, {**SPANS, "allow_overlap": True}, TEXT)
    assert "same label" in str(problem)


BOXES = {"labels": ["car", "person"]}
IMAGE = {"image_url": "https://example.com/street.jpg"}


def test_boxes_near_the_edge_are_clamped_within_tolerance():
    kind = task_type("bounding_boxes")
    config = kind.clean_config(BOXES)
    box = {"x": 0.5, "y": -1e-7, "width": 0.5 + 5e-7, "height": 1, "label": "car"}
    assert kind.clean_answer([box], config=config, data=IMAGE) == [
        {"x": 0.5, "y": 0.0, "width": 0.5, "height": 1.0, "label": "car"}
    ]
    assert kind.clean_answer([], config=config, data=IMAGE) == []


def test_every_bad_box_is_reported_with_its_field():
    answer = [
        {"x": 0.9, "y": 0, "width": 0.2, "height": 0.1, "label": "car"},
        {"x": 0, "y": 0.5, "width": 0.1, "height": 0.6, "label": "car"},
        {"x": 0, "y": 0, "width": 0, "height": 0.1, "label": "car"},
        {"x": -0.1, "y": 0, "width": 0.1, "height": 0.1, "label": "car"},
        {"x": "0", "y": 0, "width": 0.1, "height": 0.1, "label": "car"},
        {"x": 0, "y": float("nan"), "width": 0.1, "height": 0.1, "label": "car"},
        {"x": 0, "y": 0, "width": 0.1, "height": 0.1, "label": "bus"},
        {"x": 0, "y": 0, "width": 0.1, "height": 0.1},
    ]
    assert fields(answer_problem("bounding_boxes", answer, BOXES, IMAGE)) == [
        "answer[0].width",
        "answer[1].height",
        "answer[2].width",
        "answer[3].x",
        "answer[4].x",
        "answer[5].y",
        "answer[6].label",
        "answer[7].label",
    ]


def test_pairwise_answer_is_a_or_b_and_tie_only_when_allowed():
    kind = task_type("pairwise")
    config = kind.clean_config({"allow_tie": True})
    assert kind.clean_answer(" A ", config=config, data={}) == "a"
    assert kind.clean_answer("tie", config=config, data={}) == "tie"
    assert "allow_tie" in str(answer_problem("pairwise", "tie", {}))
    assert fields(answer_problem("pairwise", "c", {})) == ["answer"]
    assert fields(answer_problem("pairwise", 1, {})) == ["answer"]


def test_rating_answer_is_a_whole_number_on_the_scale():
    kind = task_type("rating")
    config = kind.clean_config({"min": 1, "max": 5})
    assert kind.clean_answer(3, config=config, data={}) == 3
    assert str(answer_problem("rating", 6, config)) == "answer: 6 is outside the scale 1..5"
    for bad in (True, 3.0, "3", None):
        assert fields(answer_problem("rating", bad, config)) == ["answer"], bad


def test_answer_fields_can_be_named_for_gold():
    kind = task_type("spans")
    config = kind.clean_config(SPANS)
    with pytest.raises(ValidationProblem) as caught:
        kind.clean_answer(
            [{"start": 0, "end": 200, "label": "PER"}],
            config=config,
            data=TEXT,
            field="gold_answer",
        )
    assert fields(caught.value) == ["gold_answer[0].end"]


def test_csv_cells_decode_to_answers_by_type():
    assert task_type("classification").answer_from_text("cat") == "cat"
    assert task_type("rating").answer_from_text(" 4 ") == 4
    assert task_type("multi_label").answer_from_text('["a", "b"]') == ["a", "b"]
    with pytest.raises(ValidationProblem, match="must be JSON"):
        task_type("multi_label").answer_from_text("a, b")
    with pytest.raises(ValidationProblem, match="whole number"):
        task_type("rating").answer_from_text("four")
