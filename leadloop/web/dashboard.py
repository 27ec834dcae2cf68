"""The few numbers each role's home page leads with, each with its trend and the
link to the leads behind it.

A manager reads her SLA compliance this week against last week, the breaches
open now, the feedback sales owes and the leads in purgatory; marketing its
leads, qualified leads and cost per qualified lead by campaign this month; an
inside rep her queue, what is due today and what became of her hand-offs; a
sales rep her inbox, her cadence steps due and the feedback she owes. Every
figure is one aggregate query over the reader's visible leads (set-based SQL,
a handful of queries per page whatever the number of leads).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from leadloop.accounts.models import User
from leadloop.accounts.selectors import managed_team_ids
from leadloop.campaigns.models import Campaign
from leadloop.followup import selectors as followup_selectors
from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead
from leadloop.leads.selectors import visible_leads
from leadloop.leads.states import INSIDE_OPEN, OPEN_STAGES, SALES_OPEN
from leadloop.lib.words import plural
from leadloop.sla.choices import ClockResult
from leadloop.sla.models import SlaClock
from leadloop.web.selectors import SALES_OPEN_CSV


@dataclass(frozen=True)
class Tile:
    """One number of a home page: what it counts, its value, how it moved, and where
    the leads behind it are. `tone` "bad" marks what needs acting on."""

    label: str
    value: str
    href: str
    trend: str = ""
    tone: str = ""
    key: str = ""


@dataclass
class CampaignLine:
    """One campaign's month for marketing's home."""

    campaign: Campaign
    leads: int
    leads_href: str
    qualified: int
    qualified_href: str
    cost_per_qualified: Decimal | None


@dataclass
class Dashboard:
    tiles: list[Tile]
    campaigns: list[CampaignLine] = field(default_factory=list)
    period: str = ""


def _leads_url(**params: object) -> str:
    query = urlencode({k: str(v) for k, v in params.items() if v not in (None, "")})
    return f"{reverse('web:lead_list')}?{query}"


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def _share(met: int, late: int) -> float | None:
    return met / (met + late) if met + late else None


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f} %"


# ---------------------------------------------------------------- manager


def _late(now: datetime) -> Q:
    return Q(result=ClockResult.BREACHED) | Q(result=ClockResult.RUNNING, due_at__lt=now)


def manager(user: User, now: datetime, tz: tzinfo) -> Dashboard:
    """SLA compliance this week vs last, breaches now, feedback owed, purgatory."""
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    this_week = _midnight(monday, tz)
    last_week = _midnight(monday - timedelta(days=7), tz)
    teams = sorted(managed_team_ids(user))
    clocks = SlaClock.objects.filter(
        lead__in=visible_leads(user).values("pk"), team_id__in=teams
    ).exclude(result=ClockResult.CANCELLED)
    met = Q(result=ClockResult.MET)
    this = Q(started_at__gte=this_week, started_at__lte=now)
    last = Q(started_at__gte=last_week, started_at__lt=this_week)
    counts = clocks.aggregate(
        met_this=Count("id", filter=this & met),
        late_this=Count("id", filter=this & _late(now)),
        met_last=Count("id", filter=last & met),
        late_last=Count("id", filter=last & _late(now)),
        open_late=Count("id", filter=Q(stopped_at__isnull=True) & _late(now)),
    )
    share_this = _share(counts["met_this"], counts["late_this"])
    share_last = _share(counts["met_last"], counts["late_last"])
    if share_this is not None and share_last is not None:
        points = round((share_this - share_last) * 100)
        arrow = "▲" if points > 0 else "▼" if points < 0 else "="
        trend = f"{arrow} {abs(points)} pts on last week ({_pct(share_last)})"
    else:
        trend = f"last week: {_pct(share_last)}"
    team = teams[0] if len(teams) == 1 else None
    as_of = now.isoformat(timespec="seconds")
    debt = followup_selectors.team_debt(user, now)
    return Dashboard(
        tiles=[
            Tile(
                "SLA compliance this week",
                _pct(share_this),
                _leads_url(
                    sla_result="late", sla_from=monday, sla_to=today, sla_team=team, as_of=as_of
                ),
                trend,
                "bad" if share_this is not None and share_this < 0.8 else "",
                "compliance",
            ),
            Tile(
                "SLA breaches open now",
                f"{counts['open_late']:,}",
                _leads_url(sla_result="open_late", sla_team=team, as_of=as_of),
                "clocks past their deadline, not yet handled",
                "bad" if counts["open_late"] else "",
                "breaches",
            ),
            Tile(
                "Feedback owed by sales",
                f"{debt.feedback_overdue:,}",
                reverse("followup:feedback_owed"),
                "outcomes and updates past their SLA",
                "bad" if debt.feedback_overdue else "",
                "feedback",
            ),
            Tile(
                "In purgatory",
                f"{debt.purgatory:,}",
                reverse("followup:purgatory"),
                "leads nobody is cultivating",
                "bad" if debt.purgatory else "",
                "purgatory",
            ),
        ],
        period=f"week of {monday:%a %d %b}",
    )


# ---------------------------------------------------------------- marketing


def _month_window(now: datetime, tz: tzinfo) -> tuple[date, date, date]:
    """First day of this month, of last month, and today (the reader's)."""
    today = now.astimezone(tz).date()
    first = today.replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    return first, previous, today


def marketing(user: User, now: datetime, tz: tzinfo) -> Dashboard:
    """Leads and qualified leads this month against last, and by campaign with the
    cost per qualified lead (the campaign's cost over its qualified leads to date)."""
    first, previous, today = _month_window(now, tz)
    start, before = _midnight(first, tz), _midnight(previous, tz)
    leads = visible_leads(user)
    created_this = Q(created_at__gte=start, created_at__lte=now)
    created_last = Q(created_at__gte=before, created_at__lt=start)
    qualified_this = Q(handed_off_at__gte=start, handed_off_at__lte=now)
    qualified_last = Q(handed_off_at__gte=before, handed_off_at__lt=start)
    rows = list(
        leads.order_by()
        .values("campaign_id")
        .annotate(
            leads=Count("id", filter=created_this),
            leads_last=Count("id", filter=created_last),
            qualified=Count("id", filter=qualified_this),
            qualified_last=Count("id", filter=qualified_last),
            qualified_ever=Count("id", filter=Q(handed_off_at__isnull=False)),
        )
    )
    campaigns = Campaign.objects.in_bulk([r["campaign_id"] for r in rows])
    month = {"created_from": first, "created_to": today}
    handed = {"handoff_from": first, "handoff_to": today}
    last_end = first - timedelta(days=1)
    lines = []
    for row in rows:
        campaign = campaigns.get(row["campaign_id"])
        if campaign is None or not (row["leads"] or row["qualified"]):
            continue
        ever = row["qualified_ever"]
        lines.append(
            CampaignLine(
                campaign=campaign,
                leads=row["leads"],
                leads_href=_leads_url(campaign=campaign.pk, **month),
                qualified=row["qualified"],
                qualified_href=_leads_url(campaign=campaign.pk, **handed),
                cost_per_qualified=(campaign.cost / ever) if ever and campaign.cost else None,
            )
        )
    lines.sort(key=lambda line: (-line.qualified, -line.leads, line.campaign.name))
    total = {key: sum(r[key] for r in rows) for key in ("leads", "leads_last", "qualified")}
    total["qualified_last"] = sum(r["qualified_last"] for r in rows)
    spent = sum((c.cost for c in campaigns.values() if c.cost), Decimal(0))
    ever_all = sum(r["qualified_ever"] for r in rows)
    return Dashboard(
        tiles=[
            Tile(
                "Leads this month",
                f"{total['leads']:,}",
                _leads_url(**month),
                f"last month: {total['leads_last']:,} in all",
                key="leads",
            ),
            Tile(
                "Qualified this month",
                f"{total['qualified']:,}",
                _leads_url(**handed),
                f"last month: {total['qualified_last']:,} in all",
                key="qualified",
            ),
            Tile(
                "Qualified last month",
                f"{total['qualified_last']:,}",
                _leads_url(handoff_from=previous, handoff_to=last_end),
                f"of {plural(total['leads_last'], 'lead')} that came in",
                key="qualified_last",
            ),
            Tile(
                "Cost per qualified lead",
                _money(spent / ever_all) if ever_all else "—",
                reverse("reports:report", args=["campaigns"]),
                "all campaigns to date: their cost over their qualified leads",
                key="cost_per_qualified",
            ),
        ],
        campaigns=lines,
        period=f"{first:%B %Y}",
    )


def _money(amount: Decimal) -> str:
    return f"{settings.LEADLOOP_CURRENCY} {amount:,.0f}"


# ---------------------------------------------------------------- inside rep


def _open_clocks_due_by(user: User, leads: QuerySet[Lead], end: datetime) -> int:
    return (
        SlaClock.objects.filter(
            user=user, stopped_at__isnull=True, due_at__lt=end, lead__in=leads.values("pk")
        )
        .exclude(result=ClockResult.CANCELLED)
        .count()
    )


def inside_rep(user: User, now: datetime, tz: tzinfo) -> Dashboard:
    """Her queue, what is due by tonight, and what became of the leads she handed off."""
    today = now.astimezone(tz).date()
    tonight = _midnight(today + timedelta(days=1), tz)
    leads = visible_leads(user)
    mine = leads.filter(owner=user, stage__in=INSIDE_OPEN)
    queue = mine.count()
    due = _open_clocks_due_by(user, mine, tonight)
    fates = leads.filter(handed_off_by=user).aggregate(
        with_sales=Count("id", filter=Q(stage__in=SALES_OPEN)),
        won=Count("id", filter=Q(stage=Stage.WON)),
        came_back=Count("id", filter=Q(stage__in=INSIDE_OPEN)),
        closed=Count("id", filter=~Q(stage__in=OPEN_STAGES) & ~Q(stage=Stage.WON)),
    )
    produced = {"handed_off_by": user.pk}
    return Dashboard(
        tiles=[
            Tile("My queue", f"{queue:,}", reverse("web:queue"), "open leads I own", key="queue"),
            Tile(
                "Due today",
                f"{due:,}",
                _leads_url(
                    sla_user=user.pk,
                    sla_result="open_late",
                    as_of=tonight.isoformat(timespec="seconds"),
                ),
                "SLA deadlines by tonight, overdue ones included",
                "bad" if due else "",
                "due",
            ),
            Tile(
                "My hand-offs with sales",
                f"{fates['with_sales']:,}",
                _leads_url(stage=SALES_OPEN_CSV, **produced),
                "open with sales now: their outcomes come to me",
                key="with_sales",
            ),
            Tile(
                "Won from my hand-offs",
                f"{fates['won']:,}",
                _leads_url(stage=Stage.WON.value, **produced),
                f"{fates['closed']:,} closed otherwise, {fates['came_back']:,} came back to me",
                key="won",
            ),
        ],
        period=f"{today:%a %d %b}",
    )


# ---------------------------------------------------------------- sales rep


def sales_rep(user: User, now: datetime, debt: followup_selectors.MyDebt) -> Dashboard:
    """Her inbox, the cadence steps due and the feedback she owes (from her debt)."""
    return Dashboard(
        tiles=[
            Tile(
                "Handoffs waiting for me",
                f"{debt.inbox:,}",
                reverse("followup:inbox"),
                "accept or reject each",
                "bad" if debt.inbox else "",
                "inbox",
            ),
            Tile(
                "Cadence steps due",
                f"{debt.tasks_due:,}",
                reverse("followup:tasks"),
                f"{debt.tasks_late:,} of them late",
                "bad" if debt.tasks_late else "",
                "tasks",
            ),
            Tile(
                "Feedback I owe",
                f"{debt.feedback_total:,}",
                f"{reverse('followup:feedback_owed')}?rep={user.pk}",
                "outcomes and updates past their SLA",
                "bad" if debt.feedback_total else "",
                "feedback",
            ),
        ]
    )
