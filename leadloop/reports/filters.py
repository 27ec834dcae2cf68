"""The filters every report takes, parsed the same way from a page's GET
parameters, the API's query and the command line's options.

Dates are days on the viewer's wall clock (her time zone; the default zone on
the command line), and `date_to` is inclusive: the report covers
[date_from 00:00, date_to + 1 day 00:00).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import Q, QuerySet

from leadloop.accounts.choices import Role, TeamKind
from leadloop.accounts.models import Team, User
from leadloop.accounts.selectors import relevant_team_ids, users_with_role
from leadloop.campaigns.choices import Channel
from leadloop.campaigns.models import Campaign
from leadloop.campaigns.selectors import campaign_choices
from leadloop.reports import metrics

# Funnel breakdowns: a dimension of the lead or its source.
BREAKDOWNS: dict[str, str] = {
    "channel": "Channel",
    "campaign": "Campaign",
    "team": "Teleprospecting team",
    **{k: v for k, v in metrics.ATTRIBUTES.items() if k != "channel"},
}
_CUSTOM = re.compile(r"attributes\.[A-Za-z0-9_]{1,40}")
# The widest window a report covers, from date_from to date_to (today when left out):
# three years. Wider is refused (422 naming date_from) rather than left to scan a
# decade of history in a web request. Dates outside EARLIEST..LATEST are refused
# too: a window's end is its last day plus one, in the reader's zone, in UTC.
MAX_WINDOW_DAYS = 3 * 365 + 1
EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)
WINDOW_RULE = (
    f"at most {MAX_WINDOW_DAYS} days (3 years) from date_from to date_to (today when left "
    f"out); dates from {EARLIEST} to {LATEST}"
)


@dataclass(frozen=True)
class ReportFilters:
    """What a reader narrowed a report to; every field optional."""

    date_from: date | None = None
    date_to: date | None = None
    team: int | None = None
    campaign: int | None = None
    channel: str | None = None
    rep: int | None = None
    # The teleprospecting team the leads came through (the review pack's pairs).
    lead_team: int | None = None
    # Funnel: the dimension to break down by. Unreachable: one attribute to analyse.
    by: str | None = None
    attribute: str | None = None

    def as_params(self) -> dict[str, str]:
        """The filters as query parameters (for links between report pages)."""
        return {
            k: v.isoformat() if isinstance(v, date) else str(v)
            for k, v in asdict(self).items()
            if v not in (None, "")
        }


@dataclass(frozen=True)
class Window:
    """The instants a report covers: [start, end); None is open-ended."""

    date_from: date | None
    date_to: date | None
    start: datetime | None
    end: datetime | None

    def q(self, field: str) -> Q:
        """`field` within the window: on or after its start, before its end."""
        q = Q()
        if self.start is not None:
            q &= Q(**{f"{field}__gte": self.start})
        if self.end is not None:
            q &= Q(**{f"{field}__lt": self.end})
        return q

    def link(self, prefix: str) -> dict[str, str]:
        """Lead-list parameters `<prefix>_from` / `<prefix>_to` for this window."""
        out = {}
        if self.date_from is not None:
            out[f"{prefix}_from"] = self.date_from.isoformat()
        if self.date_to is not None:
            out[f"{prefix}_to"] = self.date_to.isoformat()
        return out


def midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def window(filters: ReportFilters, *, now: datetime, tz: tzinfo, default: bool = True) -> Window:
    """The report's window; without dates, the DEFAULT_DAYS up to today (or all time)."""
    date_to = filters.date_to
    date_from = filters.date_from
    if default:
        date_to = date_to or now.astimezone(tz).date()
        date_from = date_from or date_to - timedelta(days=metrics.DEFAULT_DAYS - 1)
    return Window(
        date_from=date_from,
        date_to=date_to,
        start=midnight(date_from, tz) if date_from else None,
        end=midnight(date_to + timedelta(days=1), tz) if date_to else None,
    )


def team_kind(team_id: int | None) -> str | None:
    if team_id is None:
        return None
    return Team.objects.filter(pk=team_id).values_list("kind", flat=True).first()


def lead_team_q(filters: ReportFilters, prefix: str = "") -> Q:
    """The `team` filter on leads: a teleprospecting team works them, a sales
    team's reps hold them now. Plus `lead_team`, always the working team."""
    q = Q()
    if filters.team:
        if team_kind(filters.team) == TeamKind.SALES:
            q &= Q(**{f"{prefix}sales_rep__team_id": filters.team})
        else:
            q &= Q(**{f"{prefix}team_id": filters.team})
    if filters.lead_team:
        q &= Q(**{f"{prefix}team_id": filters.lead_team})
    return q


def lead_team_link(filters: ReportFilters) -> dict[str, str]:
    """`lead_team_q` as lead-list parameters."""
    out: dict[str, str] = {}
    if filters.team:
        key = "sales_team" if team_kind(filters.team) == TeamKind.SALES else "team"
        out[key] = str(filters.team)
    if filters.lead_team:
        out["team"] = str(filters.lead_team)
    return out


def source_q(filters: ReportFilters, prefix: str = "") -> Q:
    """The campaign and channel filters on leads."""
    q = Q()
    if filters.campaign:
        q &= Q(**{f"{prefix}campaign_id": filters.campaign})
    if filters.channel:
        q &= Q(**{f"{prefix}campaign__channel": filters.channel})
    return q


def source_link(filters: ReportFilters) -> dict[str, str]:
    out = {}
    if filters.campaign:
        out["campaign"] = str(filters.campaign)
    if filters.channel:
        out["channel"] = filters.channel
    return out


# ---------------------------------------------------------------- the form


if TYPE_CHECKING:
    _UserChoiceBase = forms.ModelChoiceField[User]
else:  # django-stubs generics are not subscriptable at run time
    _UserChoiceBase = forms.ModelChoiceField


class RepChoiceField(_UserChoiceBase):
    def label_from_instance(self, obj: User) -> str:
        return str(obj)


def team_choices(user: User | None) -> QuerySet[Team]:
    teams = relevant_team_ids(user) if user is not None else None
    qs = Team.objects.order_by("kind", "name")
    return qs if teams is None else qs.filter(pk__in=teams)


def rep_choices(user: User | None) -> QuerySet[User]:
    """Reps the reader may narrow to: a rep only herself, a manager her teams' reps."""
    if user is not None and user.role in (Role.INSIDE_REP, Role.SALES_REP):
        return User.objects.filter(pk=user.pk)
    teams = relevant_team_ids(user) if user is not None else None
    qs = users_with_role(Role.INSIDE_REP) | users_with_role(Role.SALES_REP)
    qs = qs.distinct().order_by("first_name", "last_name", "username")
    return qs if teams is None else qs.filter(team_id__in=teams)


def _not_yours(what: str) -> dict[str, str]:
    """The refusal of a team, campaign or rep outside what the reader may report on."""
    return {"invalid_choice": f"{what} %(value)s is not one you may report on."}


class ReportFilterForm(forms.Form):
    """The report filters. A value that is wrong, or names a team, campaign or rep the
    reader may not report on, is an error naming its field: every door refuses the
    report (422) rather than run it without that filter."""

    date_from = forms.DateField(
        required=False,
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        required=False,
        label="To (inclusive)",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    team: forms.ModelChoiceField[Team] = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        empty_label="Any team",
        error_messages=_not_yours("Team"),
    )
    campaign: forms.ModelChoiceField[Campaign] = forms.ModelChoiceField(
        queryset=Campaign.objects.none(),
        required=False,
        empty_label="Any campaign",
        error_messages=_not_yours("Campaign"),
    )
    channel = forms.ChoiceField(required=False, choices=[("", "Any channel"), *Channel.choices])
    rep = RepChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="Any rep",
        error_messages=_not_yours("Rep"),
    )
    lead_team: forms.ModelChoiceField[Team] = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        widget=forms.HiddenInput,
        error_messages=_not_yours("Team"),
    )
    by = forms.ChoiceField(required=False, label="Break down by", choices=list(BREAKDOWNS.items()))
    attribute = forms.CharField(
        required=False,
        max_length=60,
        label="Attribute",
        help_text="industry, size, country, region, revenue_band, channel, title, "
        "or attributes.NAME for a custom attribute; empty: all built-in ones",
    )

    def __init__(
        self,
        *args: Any,
        user: User | None,
        report: str = "",
        today: date | None = None,
        **kwargs: Any,
    ) -> None:
        """`today` (the reader's) is where a window without date_to ends."""
        super().__init__(*args, **kwargs)
        self.user = user
        self.today = today
        self._set_queryset("team", team_choices(user))
        teams = relevant_team_ids(user) if user is not None else None
        self._set_queryset("campaign", campaign_choices(teams))
        self._set_queryset("rep", rep_choices(user))
        self._set_queryset("lead_team", team_choices(user).filter(kind=TeamKind.TELEPROSPECTING))
        if report != "funnel":
            del self.fields["by"]
        if report != "unreachable":
            del self.fields["attribute"]

    def _set_queryset(self, name: str, queryset: Any) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = queryset

    def clean_attribute(self) -> str:
        value = (self.cleaned_data.get("attribute") or "").strip()
        if value and value not in metrics.ATTRIBUTES and not _CUSTOM.fullmatch(value):
            raise forms.ValidationError(
                f"unknown attribute '{value}'; one of {', '.join(metrics.ATTRIBUTES)} "
                "or attributes.NAME"
            )
        return value

    def _clean_day(self, name: str) -> date | None:
        day: date | None = self.cleaned_data.get(name)
        if day is not None and not EARLIEST <= day <= LATEST:
            raise forms.ValidationError(f"must be between {EARLIEST} and {LATEST}")
        return day

    def clean_date_from(self) -> date | None:
        return self._clean_day("date_from")

    def clean_date_to(self) -> date | None:
        return self._clean_day("date_to")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "must not be before 'From'")
            return data
        last = end or self.today
        if start and last and (last - start).days + 1 > MAX_WINDOW_DAYS:
            days = (last - start).days + 1
            self.add_error(
                "date_from",
                f"a report covers at most {MAX_WINDOW_DAYS} days (3 years); {start} to {last} "
                f"is {days} days: choose a later 'From' or an earlier 'To'",
            )
        return data

    def filters(self) -> ReportFilters:
        """The valid part of the input (call after is_valid)."""
        data = getattr(self, "cleaned_data", {})

        def pk(name: str) -> int | None:
            obj = data.get(name)
            return obj.pk if obj is not None else None

        return ReportFilters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            team=pk("team"),
            campaign=pk("campaign"),
            channel=data.get("channel") or None,
            rep=pk("rep"),
            lead_team=pk("lead_team"),
            by=data.get("by") or None,
            attribute=data.get("attribute") or None,
        )


def parse(
    data: Mapping[str, Any], *, user: User | None, report: str = "", today: date | None = None
) -> tuple[ReportFilters, dict[str, list[str]]]:
    """Filters from any mapping of strings, and the errors by field (refuse the report
    when there are any)."""
    form = ReportFilterForm(
        {k: v for k, v in data.items() if v is not None}, user=user, report=report, today=today
    )
    form.is_valid()
    errors = {k: [str(m) for m in v] for k, v in form.errors.items()}
    return form.filters(), errors
