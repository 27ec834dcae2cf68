"""What the report modules share: the reader, the window, names for ids, links."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q, QuerySet

from leadloop.accounts.choices import Role
from leadloop.accounts.models import Team, User
from leadloop.campaigns.choices import Channel
from leadloop.campaigns.models import Campaign
from leadloop.leads.models import Lead
from leadloop.reports import filters as f
from leadloop.reports.filters import ReportFilters, Window
from leadloop.reports.scope import Viewer


@dataclass(frozen=True)
class Ctx:
    """One report run: who reads it, with which filters, when, over which window."""

    viewer: Viewer
    filters: ReportFilters
    now: datetime
    window: Window

    @classmethod
    def make(
        cls, viewer: Viewer, filters: ReportFilters, now: datetime, *, default_window: bool = True
    ) -> Ctx:
        filters = viewer.restrict(filters)
        win = f.window(filters, now=now, tz=viewer.tz, default=default_window)
        return cls(viewer=viewer, filters=filters, now=now, window=win)

    @property
    def as_of(self) -> str:
        """The report's instant as a lead-list parameter (UTC)."""
        return self.now.astimezone(UTC).isoformat()

    def visible(self, qs: QuerySet[Any], prefix: str = "") -> QuerySet[Any]:
        q = self.viewer.lead_q(prefix)
        return qs if q is None else qs.filter(q)

    def leads(self) -> QuerySet[Lead]:
        """The leads the reader may see, narrowed by team, campaign and channel."""
        qs = self.visible(Lead.objects.all())
        return qs.filter(f.lead_team_q(self.filters), f.source_q(self.filters))

    def about_leads(self, qs: QuerySet[Any], prefix: str = "lead__") -> QuerySet[Any]:
        """Rows about leads (clocks, handoffs, tasks, events) the reader may see, narrowed
        by the lead's working team, campaign and channel. Not by `team`: each report
        reads that through its own rep (the clock's owner, the handoff's rep)."""
        q = f.source_q(self.filters, prefix)
        if self.filters.lead_team:
            q &= Q(**{f"{prefix}team_id": self.filters.lead_team})
        return self.visible(qs, prefix).filter(q)

    def lead_links(self) -> dict[str, str]:
        """`leads()`'s narrowing as lead-list parameters."""
        return {**f.lead_team_link(self.filters), **f.source_link(self.filters)}

    def described_filters(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.filters.as_params())
        out["date_from"] = self.window.date_from.isoformat() if self.window.date_from else None
        out["date_to"] = self.window.date_to.isoformat() if self.window.date_to else None
        return out


def channel_label(value: str | None) -> str:
    """A channel as people read it; an unknown one as stored, a missing one as a dash."""
    return str(Channel(value).label) if value in Channel.values else (value or "—")


def is_sales_rep(user_id: int | None) -> bool:
    if user_id is None:
        return False
    return User.objects.filter(pk=user_id, groups__name=Role.SALES_REP).exists()


def rep_lead_field(user_id: int) -> str:
    """The lead column that names this rep: `sales_rep` for a sales rep, else `owner`."""
    return "sales_rep" if is_sales_rep(user_id) else "owner"


def user_names(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.pk: str(u) for u in User.objects.filter(pk__in=wanted)}


def user_teams(ids: Iterable[int | None]) -> dict[int, int | None]:
    wanted = {i for i in ids if i is not None}
    return dict(User.objects.filter(pk__in=wanted).values_list("pk", "team_id"))


def team_names(ids: Iterable[int | None] | None = None) -> dict[int, str]:
    qs = Team.objects.all()
    if ids is not None:
        qs = qs.filter(pk__in={i for i in ids if i is not None})
    return dict(qs.values_list("pk", "name"))


def campaigns(ids: Iterable[int | None] | None = None) -> dict[int, tuple[str, str]]:
    """id -> (name, channel)."""
    qs = Campaign.objects.all()
    if ids is not None:
        qs = qs.filter(pk__in={i for i in ids if i is not None})
    return {pk: (name, channel) for pk, name, channel in qs.values_list("pk", "name", "channel")}
