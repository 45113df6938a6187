"""Forms of the workforce pages. They validate input shapes; services decide the rules."""

import json

from django import forms

from marketplace.models import TemplateType
from workers.models import QualificationType, RequirementKind
from workers.services.qualification_authoring import TYPE_FIELDS


class QualificationTypeForm(forms.ModelForm):
    class Meta:
        model = QualificationType
        fields = list(TYPE_FIELDS)  # what the service accepts, in one place
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class JSONTextField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 3, "spellcheck": "false"})

    def to_python(self, value):
        value = super().to_python(value)
        if value in ("", None):
            return None
        try:
            return json.loads(value)
        except ValueError as error:
            raise forms.ValidationError(f"Not valid JSON: {error}") from None


class QuestionForm(forms.Form):
    template_type = forms.ChoiceField(choices=TemplateType.choices, label="Template")
    labels = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For choice templates: one label per line. Or give a full config below.",
    )
    label_config = JSONTextField(
        required=False, label="Template config (JSON)", help_text="Overrides the labels."
    )
    text = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Question text"
    )
    data = JSONTextField(required=False, label="Data (JSON)", help_text="Overrides the text.")
    answer_key = forms.CharField(
        label="Correct answer",
        help_text="A label, the text, a number, or JSON for structured answers.",
    )
    explanation = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("label_config") is None:
            labels = [line.strip() for line in cleaned.get("labels", "").splitlines()]
            cleaned["label_config"] = {"labels": [label for label in labels if label]}
        if cleaned.get("data") is None:
            if not cleaned.get("text"):
                raise forms.ValidationError("Give the question text or its data as JSON.")
            cleaned["data"] = {"text": cleaned["text"]}
        answer = cleaned.get("answer_key", "")
        try:
            parsed = json.loads(answer)
            if isinstance(parsed, list | dict | int | float) and not isinstance(parsed, bool):
                answer = parsed
        except ValueError:
            pass
        cleaned["answer_key"] = answer
        return cleaned


class RequirementForm(forms.Form):
    kind = forms.ChoiceField(choices=RequirementKind.choices)
    qualification = forms.ModelChoiceField(
        queryset=QualificationType.objects.none(), required=False
    )
    value = forms.IntegerField(required=False)
    locales = forms.CharField(
        required=False, help_text="For country/language: comma-separated codes, e.g. DE, en."
    )

    def __init__(self, *args, qualifications=None, **kwargs):
        super().__init__(*args, **kwargs)
        if qualifications is not None:
            self.fields["qualification"].queryset = qualifications

    def clean_locales(self):
        return [code.strip() for code in self.cleaned_data["locales"].split(",") if code.strip()]


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class SuspendForm(ReasonForm):
    appeal_note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shown to the worker: how to appeal.",
    )


class MessageForm(forms.Form):
    subject = forms.CharField(required=False, max_length=200)
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), max_length=5000, label="Message"
    )


class GrantForm(forms.Form):
    qualification = forms.ModelChoiceField(queryset=QualificationType.objects.none())
    value = forms.IntegerField(initial=1)
    reason = forms.CharField()

    def __init__(self, *args, qualifications=None, **kwargs):
        super().__init__(*args, **kwargs)
        if qualifications is not None:
            self.fields["qualification"].queryset = qualifications


class GrantByEmailForm(forms.Form):
    email = forms.EmailField(label="Worker email")
    value = forms.IntegerField(initial=1)
    reason = forms.CharField()
