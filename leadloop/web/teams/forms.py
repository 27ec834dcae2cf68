"""Forms for team settings: they parse what a manager types, the services decide.

A calendar's weekly hours are typed one line per weekday ("09:00-12:00,
13:00-17:30"), read into the stored JSON shape and then validated by
`services.update_team_calendar`, which builds the real Calendar; so the rules
live in one place and the form only knows the notation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import holidays
from django import forms
from holidays import registry

from leadloop.accounts.models import Team
from leadloop.accounts.services import DAY_KEYS

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HOURS_EXAMPLE = "09:00-12:00, 13:00-17:30"
_DASHES = re.compile(r"\s*[-\u2013\u2014]\s*")  # "-", en dash, em dash


def format_day_hours(intervals: object) -> str:
    """Stored intervals as typed: [["09:00", "12:00"], ...] -> "09:00-12:00, ..."."""
    if not isinstance(intervals, Sequence) or isinstance(intervals, str):
        return ""
    parts = []
    for pair in intervals:
        if isinstance(pair, Sequence) and not isinstance(pair, str) and len(pair) == 2:
            parts.append(f"{pair[0]}-{pair[1]}")
        else:  # stored by hand in a shape the service would refuse: show it to fix it
            parts.append(str(pair))
    return ", ".join(parts)


def parse_day_hours(day: str, text: str) -> list[list[str]]:
    """ "09:00-12:00, 13:00-17:30" -> [["09:00", "12:00"], ["13:00", "17:30"]]; "" is closed."""
    text = text.strip()
    if not text or text.lower() == "closed":
        return []
    pairs = []
    for part in re.split(r"[,;]", text):
        if not part.strip():
            continue
        bounds = _DASHES.split(part.strip())
        if len(bounds) != 2 or not all(bounds):
            raise forms.ValidationError(
                f"{day}: write opening hours like {HOURS_EXAMPLE}, got '{part.strip()}'"
            )
        pairs.append(bounds)
    return pairs


class WeeklyHoursWidget(forms.MultiWidget):
    """One text input per weekday, under one field name (working_hours_mon, ...)."""

    template_name = "accounts/widgets/weekly_hours.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        inputs: dict[str, forms.Widget | type[forms.Widget]] = {
            key: forms.TextInput(attrs={"placeholder": "closed", "autocomplete": "off"})
            for key in DAY_KEYS
        }
        super().__init__(inputs, attrs)

    def decompress(self, value: Any) -> list[str]:
        if not isinstance(value, Mapping):
            return [""] * len(DAY_KEYS)
        # Stored keys may be full names ("monday") typed in the Django admin.
        by_day = {str(k).strip().lower()[:3]: v for k, v in value.items()}
        return [format_day_hours(by_day.get(key, [])) for key in DAY_KEYS]

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        for subwidget, day in zip(context["widget"]["subwidgets"], DAY_NAMES, strict=True):
            subwidget["day"] = day
        return context


class WeeklyHoursField(forms.MultiValueField):
    """The week's opening hours as the stored mapping; empty days are closed."""

    widget = WeeklyHoursWidget

    def __init__(self, **kwargs: Any) -> None:
        fields = tuple(forms.CharField(required=False, max_length=200) for _ in DAY_KEYS)
        # Not required: a week with no hours at all is the service's error to
        # name ("no opening hours at all"), not a bare "This field is required".
        super().__init__(fields=fields, require_all_fields=False, required=False, **kwargs)

    def compress(self, data_list: list[str]) -> dict[str, list[list[str]]]:
        hours: dict[str, list[list[str]]] = {}
        for key, day, text in zip(DAY_KEYS, DAY_NAMES, data_list or [], strict=False):
            pairs = parse_day_hours(day, text or "")
            if pairs:
                hours[key] = pairs
        return hours


def _country_name(module: str) -> str:
    return module.replace("_", " ").title().replace(" And ", " and ").replace(" Of ", " of ")


@lru_cache(maxsize=1)
def country_choices() -> list[tuple[str, str]]:
    """Countries the holidays package knows, by name; two-letter codes as the Team stores."""
    names = {spec[1]: module for module, spec in registry.COUNTRIES.items()}
    choices = [
        (code, f"{_country_name(names[code]) if code in names else code} ({code})")
        for code in holidays.list_supported_countries(include_aliases=False)
        if len(code) == 2
    ]
    return sorted(choices, key=lambda choice: choice[1])


def _holiday_choices() -> list[tuple[str, str]]:
    return [("", "None: no public holidays"), *country_choices()]


class CalendarForm(forms.Form):
    timezone = forms.CharField(
        max_length=64,
        label="Time zone",
        help_text="An IANA name such as Europe/Berlin; opening hours are in this zone.",
        widget=forms.TextInput(
            attrs={"list": "timezones", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    working_hours = WeeklyHoursField(
        label="Opening hours",
        help_text=f"Per weekday, e.g. {HOURS_EXAMPLE}. Leave a day empty when the team is closed.",
    )
    holiday_country = forms.ChoiceField(
        choices=_holiday_choices, required=False, label="Public holidays of"
    )
    holiday_subdivision = forms.CharField(
        required=False,
        max_length=10,
        label="Region",
        help_text="The state or province code for regional holidays, e.g. BY; empty: national.",
    )
    closures = forms.CharField(
        required=False,
        label="Own days off",
        help_text="Days the team is closed besides public holidays: one date per line, YYYY-MM-DD.",
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "2026-12-24\n2026-12-31"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    @classmethod
    def initial_for(cls, team: Team) -> dict[str, Any]:
        return {
            "timezone": team.timezone,
            "working_hours": team.working_hours or {},
            "holiday_country": team.holiday_country,
            "holiday_subdivision": team.holiday_subdivision,
            "closures": "\n".join(str(d) for d in team.closures or []),
        }

    def clean_closures(self) -> list[str]:
        text = self.cleaned_data.get("closures") or ""
        return [token for token in re.split(r"[\s,;]+", text) if token]

    def service_kwargs(self) -> dict[str, Any]:
        """Cleaned values in the shape `update_team_calendar` takes (after is_valid)."""
        c = self.cleaned_data
        return {
            "timezone": c["timezone"],
            "working_hours": c["working_hours"],
            "holiday_country": c["holiday_country"],
            "holiday_subdivision": c["holiday_subdivision"],
            "closures": c["closures"],
        }

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        """Put the service's field errors on the matching inputs, the rest on top."""
        for field, messages in errors.items():
            target = field if field in self.fields else None
            for message in messages:
                self.add_error(target, message if target else f"{field}: {message}")
