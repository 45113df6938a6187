"""Forms for the requester pages. They turn friendly inputs (labels one per line, gold share in
percent, minutes) into project fields; the service validates the result."""

from django import forms

from marketplace.models import ImportMode, Project, TemplateType
from marketplace.models.project import BOUNDS
from payments import money

LABEL_TYPES = {
    TemplateType.CLASSIFICATION,
    TemplateType.MULTI_LABEL,
    TemplateType.SPANS,
    TemplateType.BOUNDING_BOXES,
}
TEMPLATE_HELP = {
    TemplateType.CLASSIFICATION: "Pick one label for a text or an image.",
    TemplateType.MULTI_LABEL: "Pick every label that applies.",
    TemplateType.FREE_TEXT: "Type an answer: transcription, a short description.",
    TemplateType.SPANS: "Mark spans of a text with labels (named entities).",
    TemplateType.BOUNDING_BOXES: "Draw labelled boxes on an image.",
    TemplateType.PAIRWISE: "Choose the better of two items (preference data).",
    TemplateType.RATING: "Rate on a numeric scale (Likert).",
}


def labels_to_text(labels: list[dict]) -> str:
    return "\n".join(
        " | ".join(
            [label["value"], label.get("description", ""), label.get("shortcut", "")]
        ).rstrip(" |")
        for label in labels
    )


def text_to_labels(text: str) -> list[dict]:
    labels = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")] + ["", ""]
        label = {"value": parts[0]}
        if parts[1]:
            label["description"] = parts[1]
        if parts[2]:
            label["shortcut"] = parts[2]
        labels.append(label)
    return labels


class ProjectForm(forms.Form):
    template_type = forms.ChoiceField(
        choices=TemplateType.choices, widget=forms.RadioSelect, initial=TemplateType.CLASSIFICATION
    )
    title = forms.CharField(max_length=200)
    description = forms.CharField(max_length=500, required=False)
    labels = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text="One label per line: value | description | keyboard shortcut.",
    )
    allow_empty = forms.BooleanField(required=False, label="Multi-label: allow no label")
    allow_overlap = forms.BooleanField(required=False, label="Spans: allow overlapping spans")
    allow_tie = forms.BooleanField(required=False, label="Pairwise: allow a tie")
    question = forms.CharField(required=False, max_length=300, label="Pairwise: question")
    rating_min = forms.IntegerField(required=False, initial=1, label="Rating: lowest")
    rating_max = forms.IntegerField(required=False, initial=5, label="Rating: highest")
    max_length = forms.IntegerField(
        required=False, min_value=1, initial=2000, label="Free text: longest answer"
    )
    instructions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}), required=False, help_text="Markdown."
    )
    reward_cents = forms.IntegerField(min_value=0, initial=5, label="Reward per assignment (¢)")
    overlap_min = forms.IntegerField(
        min_value=BOUNDS["overlap"][0], max_value=BOUNDS["overlap"][1], initial=3
    )
    overlap_max = forms.IntegerField(
        min_value=BOUNDS["overlap"][0], max_value=BOUNDS["overlap"][1], initial=3
    )
    confidence_target = forms.FloatField(
        min_value=BOUNDS["confidence_target"][0],
        max_value=BOUNDS["confidence_target"][1],
        initial=0.95,
    )
    gold_percent = forms.IntegerField(
        min_value=0, max_value=100, initial=10, label="Gold share of served tasks (%)"
    )
    time_limit_minutes = forms.IntegerField(
        min_value=BOUNDS["time_limit_seconds"][0] // 60,
        max_value=BOUNDS["time_limit_seconds"][1] // 60,
        initial=10,
    )
    auto_approve_hours = forms.IntegerField(
        min_value=BOUNDS["auto_approve_seconds"][0] // 3600,
        max_value=BOUNDS["auto_approve_seconds"][1] // 3600,
        initial=72,
    )
    priority = forms.IntegerField(
        min_value=BOUNDS["priority"][0], max_value=BOUNDS["priority"][1], initial=0
    )

    def label_config(self) -> dict:
        data, kind = self.cleaned_data, self.cleaned_data.get("template_type")
        config: dict = {}
        if kind in LABEL_TYPES:
            config["labels"] = text_to_labels(data.get("labels") or "")
        if kind == TemplateType.MULTI_LABEL:
            config["allow_empty"] = bool(data.get("allow_empty"))
        if kind == TemplateType.SPANS:
            config["allow_overlap"] = bool(data.get("allow_overlap"))
        if kind == TemplateType.PAIRWISE:
            config["allow_tie"] = bool(data.get("allow_tie"))
            if data.get("question"):
                config["question"] = data["question"]
        if kind == TemplateType.RATING:
            config["min"], config["max"] = data.get("rating_min"), data.get("rating_max")
        if kind == TemplateType.FREE_TEXT and data.get("max_length"):
            config["max_length"] = data["max_length"]
        return config

    def project_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "template_type": data["template_type"],
            "title": data["title"],
            "description": data.get("description", ""),
            "instructions": data.get("instructions", ""),
            "label_config": self.label_config(),
            "reward_cents": data["reward_cents"],
            "overlap_min": data["overlap_min"],
            "overlap_max": data["overlap_max"],
            "confidence_target": data["confidence_target"],
            "gold_ratio": data["gold_percent"] / 100,
            "time_limit_seconds": data["time_limit_minutes"] * 60,
            "auto_approve_seconds": data["auto_approve_hours"] * 3600,
            "priority": data["priority"],
        }

    @classmethod
    def initial_for(cls, project: Project) -> dict:
        config = project.label_config or {}
        return {
            "template_type": project.template_type,
            "title": project.title,
            "description": project.description,
            "instructions": project.instructions,
            "labels": labels_to_text(config.get("labels", [])),
            "allow_empty": config.get("allow_empty", False),
            "allow_overlap": config.get("allow_overlap", False),
            "allow_tie": config.get("allow_tie", False),
            "question": config.get("question", ""),
            "rating_min": config.get("min", 1),
            "rating_max": config.get("max", 5),
            "max_length": config.get("max_length", 2000),
            "reward_cents": project.reward_cents,
            "overlap_min": project.overlap_min,
            "overlap_max": project.overlap_max,
            "confidence_target": project.confidence_target,
            "gold_percent": round(project.gold_ratio * 100),
            "time_limit_minutes": project.time_limit_seconds // 60,
            "auto_approve_hours": project.auto_approve_seconds // 3600,
            "priority": project.priority,
        }


class ImportForm(forms.Form):
    file = forms.FileField(help_text="CSV with a header row, or JSON Lines (.jsonl).")
    mode = forms.ChoiceField(choices=ImportMode.choices, initial=ImportMode.ALL_OR_NOTHING)
    gold_only = forms.BooleanField(required=False, label="Every row is a gold task")


class EstimateForm(forms.Form):
    tasks = forms.IntegerField(min_value=0, max_value=100_000_000, initial=1000)
    reward_cents = forms.IntegerField(min_value=0, initial=5)
    overlap_max = forms.IntegerField(
        min_value=BOUNDS["overlap"][0], max_value=BOUNDS["overlap"][1], initial=3
    )
    gold_percent = forms.IntegerField(min_value=0, max_value=99, initial=10)


class BulkReviewForm(forms.Form):
    assignment_ids = forms.TypedMultipleChoiceField(coerce=int, choices=[])
    action = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    reason = forms.CharField(required=False, max_length=1000)

    def __init__(self, *args, assignment_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignment_ids"].choices = [(pk, pk) for pk in assignment_ids]

    def clean(self):
        data = super().clean()
        if data.get("action") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", "A rejection needs a reason; the worker will see it.")
        return data


class BonusForm(forms.Form):
    worker = forms.TypedChoiceField(coerce=int, choices=[], label="Worker")
    amount = forms.CharField(label="Amount (USD)", max_length=20, initial="1.00")
    message = forms.CharField(max_length=500, label="Message to the worker")
    client_key = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, workers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["worker"].choices = [(w.pk, w.full_name or w.email) for w in workers]

    def clean_amount(self) -> int:
        try:
            return money.parse_dollars(self.cleaned_data["amount"])
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error
