"""Registering and changing a webhook endpoint."""

from __future__ import annotations

from typing import Any

from django import forms

from leadloop.accounts.models import Team
from leadloop.webhooks.choices import ALL, EventType
from leadloop.webhooks.rules import subscribable


class EndpointForm(forms.Form):
    url = forms.CharField(
        max_length=500,
        label="URL",
        widget=forms.TextInput(
            attrs={"placeholder": "https://example.com/leadloop-hook", "inputmode": "url"}
        ),
    )
    all_events = forms.BooleanField(required=False, label="Every event type (*)")
    events = forms.MultipleChoiceField(
        required=False,
        choices=[(t, f"{t} — {EventType(t).label}") for t in subscribable()],
        widget=forms.CheckboxSelectMultiple,
        label="Event types",
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"),
        required=False,
        empty_label="Every team",
        help_text="Only this team's leads",
    )
    description = forms.CharField(max_length=200, required=False)
    active = forms.BooleanField(required=False, initial=True)

    def chosen_events(self) -> list[str]:
        return [ALL] if self.cleaned_data.get("all_events") else self.cleaned_data["events"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("all_events") and not data.get("events"):
            self.add_error("events", "Choose at least one event type, or every event type.")
        return data


class ResendFailedForm(forms.Form):
    since = forms.DateTimeField(
        label="Failed since",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
