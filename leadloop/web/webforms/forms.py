"""The web form editor: what a person types; `webforms.services` decides.

Fields are typed one per line as `name`, `name*` (required) or
`name* | Label`; origins one per line.
"""

from __future__ import annotations

from typing import Any

from django import forms

from leadloop.campaigns.models import Campaign
from leadloop.webforms import rules
from leadloop.webforms.models import Form

FIELDS_HELP = (
    "One per line: a lead field (first_name, last_name, title, email, phone, company, industry, "
    "employees, revenue_band, country, region) or attributes.NAME; add * for required and "
    "| Label for its label, e.g. <code>email* | Work email</code>."
)


def fields_text(fields: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{f['name']}{'*' if f.get('required') else ''} | {f.get('label', '')}".rstrip(" |")
        for f in fields
    )


def parse_fields_text(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, _, label = line.partition("|")
        name = name.strip()
        required = name.endswith("*")
        out.append({"name": name.rstrip("*").strip(), "label": label.strip(), "required": required})
    return out


class FormEditor(forms.Form):
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.none(), label="Campaign")
    name = forms.CharField(max_length=rules.MAX_NAME, label="Name")
    fields_text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 7}),
        label="Fields",
        help_text=FIELDS_HELP,
        initial="first_name* | First name\nlast_name* | Last name\nemail* | Work email\ncompany",
    )
    consent_text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=rules.MAX_CONSENT,
        label="Consent text",
        help_text="Shown with a checkbox the person must tick; recorded with the lead, "
        "word for word, with the time.",
    )
    thank_you = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=rules.MAX_THANK_YOU,
        label="Thank-you message",
    )
    redirect_url = forms.CharField(
        required=False,
        max_length=500,
        label="Redirect to (instead of the message)",
        help_text="Must be on one of the allowed origins.",
    )
    allowed_origins = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Allowed origins",
        help_text="The sites that may embed and post this form, one per line, "
        "e.g. https://www.example.com.",
    )
    allow_unstamped = forms.BooleanField(
        required=False,
        initial=True,
        label="Accept plain HTML posts",
        help_text="A plain HTML form pasted into a site carries no page stamp, so its fill "
        "time is not checked. Untick to accept only the hosted page and the JS snippet.",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: Any, campaigns: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns  # type: ignore[attr-defined]

    @classmethod
    def initial_for(cls, form: Form) -> dict[str, Any]:
        return {
            "campaign": form.campaign_id,
            "name": form.name,
            "fields_text": fields_text(form.fields),
            "consent_text": form.consent_text,
            "thank_you": form.thank_you,
            "redirect_url": form.redirect_url,
            "allowed_origins": "\n".join(form.allowed_origins),
            "allow_unstamped": form.allow_unstamped,
            "is_active": form.is_active,
        }

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "campaign": data["campaign"],
            "name": data["name"],
            "fields": parse_fields_text(data["fields_text"]),
            "consent_text": data["consent_text"],
            "thank_you": data["thank_you"],
            "redirect_url": data["redirect_url"],
            "allowed_origins": [o for o in data["allowed_origins"].split() if o],
            "allow_unstamped": data["allow_unstamped"],
            "is_active": data["is_active"],
        }

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for field, messages in errors.items():
            name = "fields_text" if field == "fields" else field
            target = name if name in self.fields else None
            for message in messages:
                self.add_error(target, message if target else f"{field}: {message}")
