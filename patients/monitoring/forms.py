"""The therapist's form for resolving a flag."""

from __future__ import annotations

from django import forms


class ResolveFlagForm(forms.Form):
    note = forms.CharField(
        label="How was it resolved?",
        max_length=5000,  # as the API (ResolveFlagInput)
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with the flag, e.g. 'Phoned the patient; seen in clinic today.'",
    )


class ApplySuggestionForm(forms.Form):
    reason = forms.CharField(
        label="Reason for the change",
        max_length=2000,  # as a programme change's reason (AdjustmentInput)
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept in the revision history and as the flag's resolution.",
        error_messages={"required": "Say why the programme is being changed."},
    )
