"""Reads on SLA clocks: a lead's clocks as people see them, and urgency order for queues."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from leadloop.accounts.calendars import team_calendar
from leadloop.leads.models import Lead
from leadloop.lib.businesscal import business_time_between
from leadloop.sla.choices import ClockKind, ClockResult
from leadloop.sla.models import SlaClock


@dataclass(frozen=True)
class ClockView:
    """One clock as the lead page shows it."""

    clock: SlaClock
    label: str
    state: str  # running, at_risk, breached, met, cancelled
    left: timedelta | None  # business time left (negative: overdue), open clocks only

    @property
    def is_open(self) -> bool:
        return self.clock.stopped_at is None


def clock_state(clock: SlaClock, now: datetime) -> str:
    """What a person should read: a running clock past its due time is breached already."""
    if clock.result == ClockResult.RUNNING:
        if now >= clock.due_at:
            return "breached"
        return "at_risk" if now >= clock.warn_at else "running"
    return str(clock.result)


def lead_clocks(lead: Lead, now: datetime) -> list[ClockView]:
    """Open clocks first (most urgent first), then the finished ones, newest first."""
    rows = list(SlaClock.objects.filter(lead=lead).select_related("team", "user"))
    views = []
    for clock in rows:
        left = None
        if clock.stopped_at is None:
            left = business_time_between(team_calendar(clock.team), now, clock.due_at)
        views.append(
            ClockView(clock, str(ClockKind(clock.kind).label), clock_state(clock, now), left)
        )
    open_ = sorted((v for v in views if v.is_open), key=lambda v: v.clock.due_at)
    done = sorted(
        (v for v in views if not v.is_open), key=lambda v: v.clock.stopped_at or now, reverse=True
    )
    return open_ + done


def with_urgency(leads: QuerySet[Lead], now: datetime) -> QuerySet[Lead]:
    """Annotate `sla_breached` and `sla_due` and order: breached first, then due soonest,
    then source priority (1 first), then score (highest first). All in SQL."""
    open_clocks = SlaClock.objects.filter(lead=OuterRef("pk"), stopped_at__isnull=True)
    return leads.annotate(
        sla_breached=Exists(
            open_clocks.filter(Q(result=ClockResult.BREACHED) | Q(due_at__lte=now))
        ),
        sla_due=Subquery(open_clocks.order_by("due_at").values("due_at")[:1]),
    ).order_by(
        F("sla_breached").desc(),
        F("sla_due").asc(nulls_last=True),
        "priority",
        # The score lives in its own table (`leads.LeadScore`); unscored reads as 0.
        Coalesce(F("scored__score"), 0).desc(),
        "pk",
    )


def open_breaches(leads: QuerySet[Lead]) -> QuerySet[SlaClock]:
    """Breached clocks still open on the given leads."""
    return SlaClock.objects.filter(
        lead__in=leads, stopped_at__isnull=True, result=ClockResult.BREACHED
    )
