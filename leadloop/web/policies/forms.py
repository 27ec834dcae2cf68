"""The source policy form: the numbers a person types; `campaigns.services` decides.

Ranges come from `services.LIMITS`, so the browser, the form and the service
agree on what is allowed.
"""

from __future__ import annotations

from typing import Any

from django import forms

from leadloop.campaigns.choices import SlaUnit
from leadloop.campaigns.models import SourcePolicy
from leadloop.campaigns.services import LIMITS, POLICY_FIELDS

PRIORITIES = [
    (1, "1 · most urgent"),
    (2, "2"),
    (3, "3"),
    (4, "4"),
    (5, "5 · least urgent"),
]


def _number(name: str, label: str, help_text: str = "") -> forms.IntegerField:
    low, high = LIMITS[name]
    return forms.IntegerField(min_value=low, max_value=high, label=label, help_text=help_text)


class PolicyForm(forms.Form):
    priority = forms.TypedChoiceField(choices=PRIORITIES, coerce=int, label="Priority")
    first_contact_amount = _number("first_contact_amount", "First contact within")
    first_contact_unit = forms.ChoiceField(choices=SlaUnit.choices, label="Counted in")
    max_open_days = _number(
        "max_open_days",
        "Concluded within (business days)",
        "Handed off, disqualified or unreachable by then; the seeds say a week.",
    )
    max_dials = _number("max_dials", "Dials before unreachable")
    max_emails = _number("max_emails", "Emails before unreachable")
    accept_days = _number(
        "accept_days",
        "Sales accepts a handoff within (business days)",
        "0: by the close of the same business day.",
    )
    outcome_days = _number(
        "outcome_days",
        "Meeting outcome recorded within (business days)",
        "Counted from the meeting; 0: the same business day.",
    )
    feedback_days = _number(
        "feedback_days", "Sales feedback within (business days)", "Counted from the handoff."
    )
    update_days = _number(
        "update_days",
        "Open opportunity updated every (days)",
        "Calendar days an open opportunity or nurture lead may go without news.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    @classmethod
    def initial_for(cls, policy: SourcePolicy) -> dict[str, Any]:
        return {name: getattr(policy, name) for name in POLICY_FIELDS}

    def service_values(self) -> dict[str, Any]:
        """Cleaned values as the services' keyword arguments (after is_valid)."""
        return {name: self.cleaned_data[name] for name in POLICY_FIELDS}

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        """Put the service's field errors on the matching inputs, the rest on top."""
        for field, messages in errors.items():
            target = field if field in self.fields else None
            for message in messages:
                self.add_error(target, message if target else f"{field}: {message}")
