"""The questionnaire form, built from a questionnaire's definition."""

from __future__ import annotations

from typing import Any

from django import forms

from patients.forms import RecordForm
from patients.questionnaires.definitions import NOT_APPLICABLE, Questionnaire


class QuestionnaireForm(RecordForm):
    def __init__(self, *args: Any, questionnaire: Questionnaire, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questionnaire = questionnaire
        for item in questionnaire.items:
            if item.choices:
                choices = [(str(c.value), c.label) for c in item.choices]
                if item.allow_not_applicable:
                    choices.append((NOT_APPLICABLE, "Not applicable"))
                self.fields[item.key] = forms.ChoiceField(
                    label=item.text,
                    choices=choices,
                    widget=forms.RadioSelect,
                    error_messages={"required": "Choose an answer."},
                    help_text=item.note,
                )
            else:
                self.fields[item.key] = forms.IntegerField(
                    label=item.text,
                    min_value=item.minimum,
                    max_value=item.maximum,
                    help_text=item.unit,
                )

    def answers(self) -> dict[str, object]:
        return {
            item.key: (
                value if (value := self.cleaned_data[item.key]) == NOT_APPLICABLE else int(value)
            )
            for item in self.questionnaire.items
        }
