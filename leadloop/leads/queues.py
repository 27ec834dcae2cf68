"""An inside rep's queue: her open leads, most urgent first, with the business time left.

The order is SQL (`sla.selectors.with_urgency`); only the page of rows shown
gets its clocks measured in business time, in Python, on the team calendar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from leadloop.accounts.calendars import team_calendar
from leadloop.accounts.choices import Role
from leadloop.accounts.models import User
from leadloop.accounts.selectors import managed_team_ids
from leadloop.leads.models import Lead
from leadloop.leads.selectors import visible_leads
from leadloop.leads.states import INSIDE_OPEN
from leadloop.lib.businesscal import business_time_between
from leadloop.sla.choices import ClockKind
from leadloop.sla.models import SlaClock
from leadloop.sla.selectors import clock_state, with_urgency

# A queue page shows the most urgent leads with a count, and pages on. Measured
# in-process at 1,000,000 leads (issue 17), the queue of a rep with 2,419 open
# leads took 158 ms as 100 full rows; as 50 rows of the columns shown, with the
# clocks measured together (below), 48 ms.
QUEUE_PAGE = 50


@dataclass(frozen=True)
class QueueFilters:
    campaign: int | None = None
    channel: str | None = None
    stage: str | None = None


@dataclass
class QueueClock:
    kind: str
    label: str
    state: str
    due_at: datetime
    left: timedelta


@dataclass
class QueueRow:
    lead: Lead
    breached: bool
    clocks: list[QueueClock] = field(default_factory=list)
    claimed_by_other: bool = False


def may_see_queue(viewer: User, rep: User) -> bool:
    """Her own queue; a manager the queues of her team's reps; an admin any."""
    if viewer.pk == rep.pk:
        return True
    if viewer.role == Role.ADMIN or viewer.is_superuser:
        return True
    return viewer.role == Role.MANAGER and rep.team_id in managed_team_ids(viewer)


def queue_reps(viewer: User) -> QuerySet[User]:
    """Inside reps whose queue the viewer may open (herself, or her team's for a manager)."""
    reps = User.objects.filter(groups__name=Role.INSIDE_REP).order_by(
        "first_name", "last_name", "username"
    )
    if viewer.role == Role.ADMIN or viewer.is_superuser:
        return reps
    if viewer.role == Role.MANAGER:
        return reps.filter(team_id__in=managed_team_ids(viewer))
    return reps.filter(pk=viewer.pk)


def queue_leads(viewer: User, rep: User, filters: QueueFilters, now: datetime) -> QuerySet[Lead]:
    """The rep's open leads the viewer may see, in urgency order."""
    leads = visible_leads(viewer).filter(owner=rep, stage__in=INSIDE_OPEN)
    if filters.campaign:
        leads = leads.filter(campaign_id=filters.campaign)
    if filters.channel:
        leads = leads.filter(campaign__channel=filters.channel)
    if filters.stage:
        leads = leads.filter(stage=filters.stage)
    return with_urgency(leads, now)


def unclaimed(leads: QuerySet[Lead], user: User, now: datetime) -> QuerySet[Lead]:
    """Leads nobody else holds right now."""
    return leads.filter(Q(claimed_by__isnull=True) | Q(claimed_until__lte=now) | Q(claimed_by=user))


def queue_rows(
    leads: QuerySet[Lead],
    viewer: User,
    now: datetime,
    *,
    limit: int = QUEUE_PAGE,
    offset: int = 0,
    fields: Sequence[str] | None = None,
) -> list[QueueRow]:
    """`limit` leads from `offset` on with their open clocks measured in business time.

    `fields` narrows what is read of each lead (and its campaign) to what the
    caller shows: a queue page has no use for a lead's JSON columns.
    """
    page_qs = leads.select_related("campaign", "team", "claimed_by", "scored")
    if fields is not None:
        page_qs = page_qs.only(*fields)
    page = list(page_qs[offset : offset + limit])
    clocks: dict[int, list[SlaClock]] = {}
    open_clocks = SlaClock.objects.filter(
        lead__in=[lead.pk for lead in page], stopped_at__isnull=True
    ).select_related("team")
    for clock in open_clocks:
        clocks.setdefault(clock.lead_id, []).append(clock)
    left = _business_time_left([c for group in clocks.values() for c in group], now)
    rows = []
    for lead in page:
        row = QueueRow(
            lead=lead,
            breached=bool(getattr(lead, "sla_breached", False)),
            claimed_by_other=(
                lead.claimed_by_id is not None
                and lead.claimed_by_id != viewer.pk
                and lead.claimed_until is not None
                and lead.claimed_until > now
            ),
        )
        for clock in sorted(clocks.get(lead.pk, []), key=lambda c: c.due_at):
            row.clocks.append(
                QueueClock(
                    kind=clock.kind,
                    label=str(ClockKind(clock.kind).label),
                    state=clock_state(clock, now),
                    due_at=clock.due_at,
                    left=left[clock.pk],
                )
            )
        rows.append(row)
    return rows


def _business_time_left(clocks: list[SlaClock], now: datetime) -> dict[int, timedelta]:
    """Each clock's business time from `now` to its due time, by clock id.

    Measured one by one, a page of clocks long overdue walked the calendar
    back from `now` once per clock (a year of days each in the bench's
    1,000,000 leads: most of the page's Python time). Business time adds up over adjacent
    intervals, so with the due times of one calendar sorted, each clock is
    its neighbour's time plus the stretch between them: every day is walked
    once per page, and the figures are the same.
    """
    by_calendar: dict[int, list[SlaClock]] = {}
    for clock in clocks:
        by_calendar.setdefault(clock.team_id, []).append(clock)
    left: dict[int, timedelta] = {}
    for group in by_calendar.values():
        cal = team_calendar(group[0].team)
        before = sorted((c for c in group if c.due_at <= now), key=lambda c: c.due_at, reverse=True)
        after = sorted((c for c in group if c.due_at > now), key=lambda c: c.due_at)
        for ordered in (before, after):
            mark, span = now, timedelta(0)
            for clock in ordered:
                span += business_time_between(cal, mark, clock.due_at)
                mark = clock.due_at
                left[clock.pk] = span
    return left
