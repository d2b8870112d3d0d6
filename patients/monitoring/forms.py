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
