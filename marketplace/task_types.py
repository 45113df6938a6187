"""Task template types: what a task's data holds, what a project's label config may say, what an
answer looks like, and which aggregation applies. The one place where these rules live.

Pure Python, no Django and no database, so the project wizard, the importer, the answer API and
the aggregation bridge all share it. Problems are ``{"field", "message"}`` dicts addressed to a
requester: ``labels[2].value: duplicate label 'cat'``. See docs/file-formats.md.

Preconditions: ``data_errors``, ``clean_answer``, ``example_data`` and ``shortcuts`` take a
config that ``clean_config`` returned (the stored ``Project.label_config``). ``data_errors`` runs
once per imported row: no regex compilation, and it allocates only when it finds a problem.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from difflib import get_close_matches
from typing import Any

Problem = dict[str, str]

_HTTP_URL = re.compile(r"https?://[^\s/?#]+(?:[/?#]\S*)?", re.IGNORECASE)
EXAMPLE_IMAGE_URL = "https://picsum.photos/seed/quorum/640/480"
MAX_LABELS = 200
MAX_LABEL_LENGTH = 100
BOX_TOLERANCE = 1e-6


class ValidationProblem(Exception):
    """One or more problems with a config, data or answer; ``errors`` lists them all."""

    def __init__(self, errors: list[Problem]):
        self.errors = list(errors)
        super().__init__("; ".join(describe(error) for error in self.errors))


def describe(error: Problem) -> str:
    """``field: message`` (or the message alone when the problem has no field)."""
    return f"{error['field']}: {error['message']}" if error["field"] else error["message"]


class _Errors(list):
    def add(self, field: str, message: str) -> None:
        self.append({"field": field, "message": message})


def _problems(field: str, message: str) -> list[Problem]:
    return [{"field": field, "message": message}]


def _kind(value: Any) -> str:
    """The JSON kind of a value, for messages: 'got a list'."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return "an empty string" if not value else "a string"
    if isinstance(value, list | tuple):
        return "a list"
    return "an object" if isinstance(value, Mapping) else type(value).__name__


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _label_values(config: Mapping) -> list[str]:
    return [label["value"] for label in config["labels"]]


def _label_problem(value: Any, config: Mapping) -> str | None:
    """Why ``value`` is not one of the config's labels, or None when it is one."""
    values = _label_values(config)
    if not isinstance(value, str):
        return f"must be a label (a string), got {_kind(value)}"
    if value in values:
        return None
    shown = ", ".join(repr(v) for v in values[:10]) + (" ..." if len(values) > 10 else "")
    hint = get_close_matches(value, values, n=1)
    return f"{value!r} is not one of the labels ({shown})" + (
        f"; did you mean {hint[0]!r}?" if hint else ""
    )


def _image_url_errors(url: Any, field: str) -> list[Problem]:
    if not isinstance(url, str):
        return _problems(field, f"must be a URL string, got {_kind(url)}")
    if _HTTP_URL.fullmatch(url) is None:
        shown = url if len(url) <= 80 else url[:77] + "..."
        return _problems(field, f"{shown!r} is not an http:// or https:// URL (without spaces)")
    return []


def _clean_labels(raw: Any, errors: _Errors) -> list[dict]:
    """Labels as ``{"value", "description", "shortcut"}``; a bare string is a label value.
    Shortcuts are single keys, lower-cased, unique ignoring case."""
    if not isinstance(raw, list):
        errors.add("labels", f"required: a list of at least 2 labels, got {_kind(raw)}")
        return []
    if not 2 <= len(raw) <= MAX_LABELS:
        errors.add("labels", f"give 2 to {MAX_LABELS} labels (got {len(raw)})")
    labels: list[dict] = []
    values: dict[str, int] = {}
    shortcuts: dict[str, int] = {}
    for index, item in enumerate(raw):
        where = f"labels[{index}]"
        item = {"value": item} if isinstance(item, str) else item
        if not isinstance(item, Mapping):
            errors.add(where, f"must be an object or a string, got {_kind(item)}")
            continue
        for key in sorted(item.keys() - {"value", "description", "shortcut"}):
            errors.add(f"{where}.{key}", "unknown key (a label has value, description, shortcut)")
        value = item.get("value")
        value = value.strip() if isinstance(value, str) else ""
        if not value:
            errors.add(f"{where}.value", "required: a non-empty string")
        elif len(value) > MAX_LABEL_LENGTH:
            errors.add(f"{where}.value", f"at most {MAX_LABEL_LENGTH} characters")
        elif value in values:
            errors.add(f"{where}.value", f"duplicate label {value!r} (see labels[{values[value]}])")
        else:
            values[value] = index
        description = item.get("description") or ""
        if not isinstance(description, str):
            errors.add(f"{where}.description", f"must be a string, got {_kind(description)}")
            description = ""
        shortcut = item.get("shortcut") or ""
        if _is_int(shortcut) and 0 <= shortcut <= 9:
            shortcut = str(shortcut)
        if shortcut and (not isinstance(shortcut, str) or len(shortcut) != 1 or shortcut.isspace()):
            errors.add(f"{where}.shortcut", f"must be a single key, got {shortcut!r}")
            shortcut = ""
        shortcut = shortcut.lower()
        if shortcut in shortcuts:
            errors.add(
                f"{where}.shortcut",
                f"{shortcut!r} is already used by labels[{shortcuts[shortcut]}]",
            )
        elif shortcut:
            shortcuts[shortcut] = index
        labels.append({"value": value, "description": description.strip(), "shortcut": shortcut})
    return labels


def _clean_bool(config: Mapping, key: str, errors: _Errors) -> bool:
    value = config.get(key, False)
    if not isinstance(value, bool):
        errors.add(key, f"must be true or false, got {_kind(value)}")
    return value is True


def _clean_text(config: Mapping, key: str, errors: _Errors, limit: int) -> str:
    value = config.get(key) or ""
    if not isinstance(value, str):
        errors.add(key, f"must be a string, got {_kind(value)}")
        return ""
    if len(value) > limit:
        errors.add(key, f"at most {limit} characters (got {len(value)})")
    return value.strip()


class TaskType:
    """One template type. Subclasses set the class attributes and override the ``_`` hooks."""

    name: str = ""
    title: str = ""
    aggregation_kind: str = ""
    input_fields: tuple[str, ...] = ()
    # Groups of data fields; each group needs one of its fields: (("text", "image_url"),).
    required_fields: tuple[tuple[str, ...], ...] = ()
    config_keys: frozenset[str] = frozenset({"labels"})
    answer_is_json = False  # a CSV gold cell holds JSON (lists, objects) rather than the value
    json_example = ""

    def __repr__(self) -> str:
        return f"<TaskType {self.name}>"

    def clean_config(self, config: Any) -> dict:
        """The normalised config, or ValidationProblem listing every problem found."""
        config = {} if config is None else config
        if not isinstance(config, Mapping):
            raise ValidationProblem(_problems("", f"config must be an object, got {_kind(config)}"))
        errors = _Errors()
        for key in sorted(map(str, config.keys() - self.config_keys)):
            known = ", ".join(sorted(self.config_keys))
            hint = get_close_matches(key, self.config_keys, n=1)
            errors.add(
                key,
                f"unknown option for a {self.name} task (options: {known})"
                + (f"; did you mean {hint[0]!r}?" if hint else ""),
            )
        cleaned = self._clean_config(config, errors)
        if errors:
            raise ValidationProblem(errors)
        return cleaned

    def data_errors(self, data: Any, config: Mapping) -> list[Problem]:
        """Problems with one task's data, [] when it is fine. Hot path: keep it cheap."""
        if type(data) is not dict and not isinstance(data, Mapping):
            return _problems("data", f"must be an object, got {_kind(data)}")
        return self._data_errors(data, config)

    def clean_answer(self, answer: Any, *, config: Mapping, data: Mapping, field: str = "answer"):
        """The normalised, JSON-able answer, or ValidationProblem with fields under ``field``
        (``answer[0].end``; pass ``field="gold_answer"`` for gold)."""
        errors = _Errors()
        cleaned = self._clean_answer(
            answer, config, data if isinstance(data, Mapping) else {}, errors
        )
        if errors:
            raise ValidationProblem([{**e, "field": field + e["field"]} for e in errors])
        return cleaned

    def answer_from_text(self, text: str) -> Any:
        """A gold answer from a CSV cell: parsed JSON for structured answers, else the text."""
        if not self.answer_is_json:
            return text
        try:
            return json.loads(text)
        except ValueError as error:
            raise ValidationProblem(
                _problems("", f"must be JSON such as {self.json_example} ({error.args[0]})")
            ) from None

    def shortcuts(self, config: Mapping) -> dict[str, Any]:
        """Keyboard key -> the answer value (or label) it picks; {} when the type has none."""
        return {
            label["shortcut"]: label["value"] for label in config["labels"] if label["shortcut"]
        }

    def default_config(self) -> dict:
        """A valid starting config for the project wizard."""
        return self.clean_config({"labels": [{"value": "yes", "shortcut": "y"}, "no"]})

    def example_data(self, config: Mapping) -> dict:
        """Data for the live preview in the project wizard."""
        return {"text": "The parcel arrived two days late, but the support team was very kind."}

    def example_answer(self, config: Mapping) -> Any:
        """A valid answer for ``example_data(config)``, for previews, docs and tests."""
        return _label_values(config)[0]

    def _clean_config(self, config: Mapping, errors: _Errors) -> dict:
        return {"labels": _clean_labels(config.get("labels"), errors)}

    def _data_errors(self, data: Mapping, config: Mapping) -> list[Problem]:
        """The text-or-image rule that most types share."""
        text = data.get("text")
        url = data.get("image_url")
        if isinstance(text, str) and text and not url:
            return []
        if not text and not url:
            return _problems("data.text", f"required: a {self.name} task needs text or image_url")
        errors = _image_url_errors(url, "data.image_url") if url else []
        if text and not isinstance(text, str):
            errors.append({"field": "data.text", "message": f"must be a string, got {_kind(text)}"})
        return errors

    def _clean_answer(self, answer: Any, config: Mapping, data: Mapping, errors: _Errors) -> Any:
        raise NotImplementedError


class ClassificationType(TaskType):
    name, title, aggregation_kind = "classification", "Single-choice classification", "categorical"
    input_fields = ("text", "image_url")
    required_fields = (("text", "image_url"),)

    def _clean_answer(self, answer, config, data, errors):
        answer = answer.strip() if isinstance(answer, str) else answer
        problem = _label_problem(answer, config)
        if problem:
            errors.add("", problem)
        return answer


class MultiLabelType(TaskType):
    name, title, aggregation_kind = "multi_label", "Multi-label classification", "multi_label"
    input_fields = ("text", "image_url")
    required_fields = (("text", "image_url"),)
    config_keys = frozenset({"labels", "allow_empty"})
    answer_is_json, json_example = True, '["cat", "dog"]'

    def _clean_config(self, config, errors):
        labels = _clean_labels(config.get("labels"), errors)
        return {"labels": labels, "allow_empty": _clean_bool(config, "allow_empty", errors)}

    def _clean_answer(self, answer, config, data, errors):
        """Answers come back in the config's label order, so equal choices compare equal."""
        if not isinstance(answer, list):
            errors.add("", f"must be a list of labels, got {_kind(answer)}")
            return answer
        if not answer and not config["allow_empty"]:
            errors.add("", "choose at least one label (this project does not allow_empty)")
        chosen: dict[str, int] = {}
        for index, value in enumerate(answer):
            problem = _label_problem(value, config)
            if problem:
                errors.add(f"[{index}]", problem)
            elif value in chosen:
                errors.add(f"[{index}]", f"{value!r} is listed twice (see [{chosen[value]}])")
            else:
                chosen[value] = index
        return [value for value in _label_values(config) if value in chosen]

    def example_answer(self, config):
        return _label_values(config)[:1]


class FreeTextType(TaskType):
    name, title, aggregation_kind = "free_text", "Free text", "text"
    input_fields = ("text", "image_url")
    required_fields = (("text", "image_url"),)
    config_keys = frozenset({"max_length", "placeholder"})

    def _clean_config(self, config, errors):
        max_length = config.get("max_length", 2000)
        if not _is_int(max_length) or not 1 <= max_length <= 100_000:
            errors.add("max_length", f"must be a whole number from 1 to 100000, got {max_length!r}")
        return {
            "max_length": max_length if not errors else 2000,
            "placeholder": _clean_text(config, "placeholder", errors, 200),
        }

    def _clean_answer(self, answer, config, data, errors):
        if not isinstance(answer, str) or not answer.strip():
            errors.add("", f"must be a non-empty text, got {_kind(answer)}")
            return answer
        answer = answer.strip()
        if len(answer) > config["max_length"]:
            errors.add("", f"{len(answer)} characters is over the limit of {config['max_length']}")
        return answer

    def shortcuts(self, config):
        return {}

    def default_config(self):
        return self.clean_config({})

    def example_answer(self, config):
        return "Late delivery, friendly support."


class SpansType(TaskType):
    name, title, aggregation_kind = "spans", "Text spans / named entities", "spans"
    input_fields = ("text",)
    required_fields = (("text",),)
    config_keys = frozenset({"labels", "allow_overlap"})
    answer_is_json, json_example = True, '[{"start": 0, "end": 3, "label": "PERSON"}]'

    def _clean_config(self, config, errors):
        labels = _clean_labels(config.get("labels"), errors)
        return {"labels": labels, "allow_overlap": _clean_bool(config, "allow_overlap", errors)}

    def _data_errors(self, data, config):
        text = data.get("text")
        if isinstance(text, str) and text:
            return []
        if not text:
            return _problems("data.text", "required for a spans task")
        return _problems("data.text", f"must be a string, got {_kind(text)}")

    def _clean_answer(self, answer, config, data, errors):
        """Offsets count characters (Unicode code points) of data.text; end is exclusive.
        Spans come back sorted by (start, end, label)."""
        if not isinstance(answer, list):
            errors.add("", f"must be a list of spans, got {_kind(answer)}")
            return answer
        text = data.get("text")
        length = len(text) if isinstance(text, str) else None
        spans = []
        for index, item in enumerate(answer):
            where = f"[{index}]"
            if not isinstance(item, Mapping):
                errors.add(where, f"must be an object with start, end, label; got {_kind(item)}")
                continue
            before = len(errors)
            start, end = item.get("start"), item.get("end")
            for key, value in (("start", start), ("end", end)):
                if not _is_int(value):
                    errors.add(f"{where}.{key}", f"must be a whole number, got {_kind(value)}")
            if _is_int(start) and _is_int(end):
                if start < 0:
                    errors.add(f"{where}.start", f"{start} is below 0")
                if end <= start:
                    errors.add(f"{where}.end", f"{end} must be after start ({start})")
                elif length is not None and end > length:
                    errors.add(
                        f"{where}.end", f"{end} is past the end of the text ({length} characters)"
                    )
            problem = _label_problem(item.get("label"), config)
            if problem:
                errors.add(f"{where}.label", problem)
            if len(errors) == before:
                spans.append((start, end, item["label"], index))
        spans.sort()
        self._overlap_errors(spans, config["allow_overlap"], errors)
        return [{"start": start, "end": end, "label": label} for start, end, label, _ in spans]

    @staticmethod
    def _overlap_errors(spans: list[tuple], allow_overlap: bool, errors: _Errors) -> None:
        """Sweep over spans sorted by start: identical spans and same-label overlaps are always
        wrong; overlaps of different labels only when the project does not allow them."""
        open_spans: list[tuple] = []
        for span in spans:
            start, _, label, index = span
            open_spans = [other for other in open_spans if other[1] > start]
            for other in open_spans:
                if other[:3] == span[:3]:
                    errors.add(f"[{index}]", f"the same span as [{other[3]}]")
                    break
                elif other[2] == label:
                    errors.add(f"[{index}]", f"overlaps [{other[3]}] with the same label")
                elif not allow_overlap:
                    errors.add(
                        f"[{index}]",
                        f"overlaps [{other[3]}] ({other[2]!r}); "
                        "this project does not allow_overlap",
                    )
            else:
                open_spans.append(span)

    def default_config(self):
        return self.clean_config({"labels": [{"value": "PERSON", "shortcut": "p"}, "PLACE"]})

    def example_data(self, config):
        return {"text": "Ada Lovelace wrote the first program in London in 1843."}

    def example_answer(self, config):
        return [{"start": 0, "end": 12, "label": _label_values(config)[0]}]


class BoundingBoxesType(TaskType):
    name, title, aggregation_kind = "bounding_boxes", "Bounding boxes", "boxes"
    input_fields = ("image_url",)
    required_fields = (("image_url",),)
    answer_is_json = True
    json_example = '[{"x": 0.1, "y": 0.2, "width": 0.3, "height": 0.4, "label": "car"}]'

    def _data_errors(self, data, config):
        url = data.get("image_url")
        if not url:
            return _problems("data.image_url", "required for a bounding_boxes task")
        return _image_url_errors(url, "data.image_url")

    def _clean_answer(self, answer, config, data, errors):
        """Boxes are fractions of the image size; values within BOX_TOLERANCE of the edges
        are clamped onto them."""
        if not isinstance(answer, list):
            errors.add("", f"must be a list of boxes, got {_kind(answer)}")
            return answer
        boxes = []
        for index, item in enumerate(answer):
            where = f"[{index}]"
            if not isinstance(item, Mapping):
                errors.add(
                    where, f"must be an object with x, y, width, height, label; got {_kind(item)}"
                )
                continue
            before = len(errors)
            box = {}
            for key in ("x", "y", "width", "height"):
                value = item.get(key)
                if not _is_number(value):
                    errors.add(
                        f"{where}.{key}", f"must be a number from 0 to 1, got {_kind(value)}"
                    )
                elif not -BOX_TOLERANCE <= value <= 1 + BOX_TOLERANCE:
                    errors.add(
                        f"{where}.{key}", f"{value} is outside 0..1 (a fraction of the image)"
                    )
                elif key in ("width", "height") and value <= 0:
                    errors.add(f"{where}.{key}", f"must be above 0, got {value}")
                else:
                    box[key] = min(max(float(value), 0.0), 1.0)
            for start, size in (("x", "width"), ("y", "height")):
                if start in box and size in box and box[start] + box[size] > 1 + BOX_TOLERANCE:
                    total = box[start] + box[size]
                    errors.add(
                        f"{where}.{size}", f"{start} + {size} = {total:g} is past the edge (1)"
                    )
            problem = _label_problem(item.get("label"), config)
            if problem:
                errors.add(f"{where}.label", problem)
            if len(errors) == before:
                box["width"] = min(box["width"], 1.0 - box["x"])
                box["height"] = min(box["height"], 1.0 - box["y"])
                boxes.append({**box, "label": item["label"]})
        return boxes

    def default_config(self):
        return self.clean_config({"labels": [{"value": "car", "shortcut": "c"}, "person"]})

    def example_data(self, config):
        return {"image_url": EXAMPLE_IMAGE_URL}

    def example_answer(self, config):
        label = _label_values(config)[0]
        return [{"x": 0.1, "y": 0.2, "width": 0.3, "height": 0.4, "label": label}]


class PairwiseType(TaskType):
    name, title, aggregation_kind = "pairwise", "Pairwise comparison", "pairwise"
    input_fields = ("a", "b")
    required_fields = (("a",), ("b",))
    config_keys = frozenset({"allow_tie", "question"})

    def _clean_config(self, config, errors):
        return {
            "allow_tie": _clean_bool(config, "allow_tie", errors),
            "question": _clean_text(config, "question", errors, 500),
        }

    def _data_errors(self, data, config):
        a, b = data.get("a"), data.get("b")
        if isinstance(a, str) and a and isinstance(b, str) and b:
            return []
        errors = []
        for key, value in (("a", a), ("b", b)):
            if not value:
                message = "required for a pairwise task (a text or an http(s) image URL)"
                errors.append({"field": f"data.{key}", "message": message})
            elif not isinstance(value, str):
                errors.append(
                    {"field": f"data.{key}", "message": f"must be a string, got {_kind(value)}"}
                )
        return errors

    def _clean_answer(self, answer, config, data, errors):
        """'a', 'b' or 'tie' (when allowed), ignoring case and surrounding spaces."""
        choices = ("a", "b", "tie") if config["allow_tie"] else ("a", "b")
        cleaned = answer.strip().lower() if isinstance(answer, str) else answer
        if cleaned == "tie" and not config["allow_tie"]:
            errors.add("", "'tie' is not an option: this project does not allow_tie")
        elif cleaned not in choices:
            errors.add("", f"must be {' or '.join(map(repr, choices))}, got {answer!r}")
        return cleaned

    def shortcuts(self, config):
        return {"a": "a", "b": "b", **({"t": "tie"} if config["allow_tie"] else {})}

    def default_config(self):
        return self.clean_config({"question": "Which reply is more helpful?"})

    def example_data(self, config):
        return {
            "a": "Thanks, I'll look into it.",
            "b": "Thank you! I'll check and reply by Friday.",
        }

    def example_answer(self, config):
        return "b"


class RatingType(TaskType):
    name, title, aggregation_kind = "rating", "Rating (Likert)", "numeric"
    input_fields = ("text", "image_url")
    required_fields = (("text", "image_url"),)
    config_keys = frozenset({"min", "max", "labels"})

    def _clean_config(self, config, errors):
        """``labels`` maps scale points to names; keys come back as strings, in scale order."""
        low, high = config.get("min"), config.get("max")
        for key, value in (("min", low), ("max", high)):
            if not _is_int(value):
                errors.add(key, f"required: a whole number, got {_kind(value)}")
        if not (_is_int(low) and _is_int(high)):
            return {}
        if high <= low:
            errors.add("max", f"must be above min ({low}), got {high}")
        elif high - low > 100:
            errors.add("max", f"the scale {low}..{high} is longer than 101 points")
        raw = config.get("labels") or {}
        if not isinstance(raw, Mapping):
            errors.add(
                "labels", f'must map scale points to names ({{"1": "Poor"}}), got {_kind(raw)}'
            )
            raw = {}
        names = {}
        for key, name in raw.items():
            point = _whole_number(key)
            if point is None or not low <= point <= high:
                errors.add(f"labels.{key}", f"{key!r} is not a point of the scale {low}..{high}")
            elif not isinstance(name, str) or not name.strip():
                errors.add(
                    f"labels.{key}", f"the name must be a non-empty string, got {_kind(name)}"
                )
            else:
                names[point] = name.strip()
        labels = {str(point): names[point] for point in sorted(names)}
        return {"min": low, "max": high, "labels": labels}

    def _clean_answer(self, answer, config, data, errors):
        low, high = config["min"], config["max"]
        if not _is_int(answer):
            errors.add("", f"must be a whole number from {low} to {high}, got {_kind(answer)}")
        elif not low <= answer <= high:
            errors.add("", f"{answer} is outside the scale {low}..{high}")
        return answer

    def answer_from_text(self, text):
        point = _whole_number(text)
        if point is None:
            raise ValidationProblem(_problems("", f"must be a whole number, got {text!r}"))
        return point

    def shortcuts(self, config):
        low, high = config["min"], config["max"]
        return {str(point): point for point in range(low, high + 1)} if 0 <= low < high <= 9 else {}

    def default_config(self):
        return self.clean_config({"min": 1, "max": 5, "labels": {"1": "Poor", "5": "Excellent"}})

    def example_answer(self, config):
        return config["max"]


def _whole_number(value: Any) -> int | None:
    if _is_int(value):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


TASK_TYPES: dict[str, TaskType] = {
    task.name: task
    for task in (
        ClassificationType(),
        MultiLabelType(),
        FreeTextType(),
        SpansType(),
        BoundingBoxesType(),
        PairwiseType(),
        RatingType(),
    )
}


def task_type(name: str) -> TaskType:
    """The type called ``name``; ValidationProblem (never KeyError) for an unknown one."""
    found = TASK_TYPES.get(name) if isinstance(name, str) else None
    if found is None:
        known = ", ".join(TASK_TYPES)
        raise ValidationProblem(
            _problems("template_type", f"unknown task type {name!r} (known: {known})")
        )
    return found
