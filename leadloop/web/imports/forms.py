"""The wizard's forms: the upload, and the mapping with the import's options."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict

from leadloop.accounts.choices import Role, TeamKind
from leadloop.accounts.models import Team, User
from leadloop.accounts.selectors import has_role, managed_team_ids
from leadloop.campaigns.choices import Channel
from leadloop.campaigns.models import Campaign
from leadloop.imports.fields import IMPORT_STAGES, TARGETS
from leadloop.imports.models import LeadImport, OnError
from leadloop.imports.services import BUILT_IN
from leadloop.imports.values import DATE_ORDERS

MAPPING_LABELS = {
    "auto": "Guess from the columns",
    "salesforce": "Salesforce export",
    "hubspot": "HubSpot export",
    "pipedrive": "Pipedrive export",
    "leadloop": "leadloop export",
}


class UploadForm(forms.Form):
    file = forms.FileField(
        help_text="CSV (any encoding; comma, semicolon or tab), XLSX, XLS or ODS",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx,.xlsm,.xls,.ods"}),
    )
    mapping = forms.ChoiceField(
        choices=[(name, MAPPING_LABELS[name]) for name in BUILT_IN],
        initial="auto",
        label="The file is",
    )
    sheet = forms.CharField(
        required=False, max_length=120, help_text="A spreadsheet's sheet (default: the first)"
    )


class MappingForm(forms.Form):
    """The import's options; the per-column and per-value targets come as plain POST fields
    (col-N, stage-N with stage-value-N, owner-N with owner-value-N): their number is the file's."""

    campaign: forms.ModelChoiceField[Campaign] = forms.ModelChoiceField(
        queryset=Campaign.objects.none(), required=False, empty_label="— a new campaign —"
    )
    new_campaign = forms.CharField(required=False, max_length=160, label="New campaign's name")
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.OTHER)
    team: forms.ModelChoiceField[Team] = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        empty_label="— the campaign's team —",
        help_text="The teleprospecting team whose reps get the open rows",
    )
    date_order = forms.ChoiceField(
        required=False,
        choices=[("", "Guess from the dates"), *[(o, o.upper()) for o in DATE_ORDERS]],
        help_text="For dates like 03/04/2024",
    )
    on_error = forms.ChoiceField(choices=OnError.choices, initial=OnError.SKIP, label="Bad rows")
    update_existing = forms.BooleanField(
        required=False, label="Fill empty fields of matched open leads from the file"
    )

    def __init__(self, *args: Any, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        teams = Team.objects.filter(kind=TeamKind.TELEPROSPECTING)
        campaigns = Campaign.objects.filter(is_active=True)
        if user is not None and not has_role(user, Role.ADMIN, Role.MARKETING):
            managed = managed_team_ids(user)
            teams = teams.filter(pk__in=managed)
            campaigns = campaigns.filter(team_id__in=managed)
        self._field("campaign").queryset = campaigns.order_by("name")
        self._field("team").queryset = teams.order_by("name")

    def _field(self, name: str) -> forms.ModelChoiceField[Any]:
        field = self.fields[name]
        assert isinstance(field, forms.ModelChoiceField)
        return field

    @staticmethod
    def initial_for(lead_import: LeadImport) -> dict[str, Any]:
        return {
            "campaign": lead_import.campaign_id,
            "new_campaign": lead_import.campaign_name,
            "channel": lead_import.channel or Channel.OTHER,
            "team": lead_import.team_id,
            "date_order": lead_import.date_order,
            "on_error": lead_import.on_error,
            "update_existing": lead_import.update_existing,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("campaign") and not (data.get("new_campaign") or "").strip():
            self.add_error("new_campaign", "choose a campaign, or name a new one")
        return data

    def mapping(self, lead_import: LeadImport, post: QueryDict) -> dict[str, Any]:
        """The mapping JSON from the posted targets (unknown targets are left out)."""
        columns: dict[str, str | None] = {}
        for i, name in enumerate(lead_import.header):
            target = post.get(f"col-{i}", "")
            if target == "attribute":
                columns[name] = f"attributes.{name}"
            elif target in TARGETS:
                columns[name] = target
            else:
                columns[name] = None
        stages: dict[str, str | None] = {}
        owners: dict[str, str] = {}
        for key, value in post.items():
            value = str(value)
            if key.startswith("stage-value-"):
                target = post.get(f"stage-{key.removeprefix('stage-value-')}", "")
                if target == "skip":
                    stages[value] = None
                elif target in IMPORT_STAGES:
                    stages[value] = target
            elif key.startswith("owner-value-"):
                user = post.get(f"owner-{key.removeprefix('owner-value-')}", "").strip()
                if user:
                    owners[value] = user
        mapping = dict(lead_import.mapping)
        mapping.update({"columns": columns, "stages": stages, "owners": owners})
        return mapping
