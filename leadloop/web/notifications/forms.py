"""Forms of the inbox and the "My settings" page; the services decide what is valid."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from leadloop.accounts.choices import NotifyMode

ALL = "all"
UNREAD = "unread"


class InboxFilterForm(forms.Form):
    """Which notifications the inbox shows; a bad value shows all of them."""

    show = forms.ChoiceField(
        choices=[(ALL, "All"), (UNREAD, "Unread")], required=False, initial=ALL
    )

    @property
    def unread_only(self) -> bool:
        return getattr(self, "cleaned_data", {}).get("show") == UNREAD


class PreferencesForm(forms.Form):
    notify_mode = forms.ChoiceField(
        choices=NotifyMode.choices,
        widget=forms.RadioSelect,
        label="Email me about news",
        help_text=(
            "Immediately: one email per notification. Daily digest: one summary each "
            "morning after 07:30 your time. Off: only the inbox here."
        ),
    )
    timezone = forms.CharField(
        required=False,
        max_length=64,
        label="Time zone",
        widget=forms.TextInput(attrs={"list": "zone-names", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["timezone"].help_text = (
            "An IANA name such as Europe/Berlin or America/New_York; leave it empty "
            f"for the default, {settings.LEADLOOP_DEFAULT_TIMEZONE}."
        )

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        """Put the service's field errors on the matching inputs, the rest on top."""
        for field, messages in errors.items():
            target = field if field in self.fields else None
            for message in messages:
                self.add_error(target, message)
