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
from leadloop.followup.choices import TaskStatus
from leadloop.followup.models import CadenceTask
from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead
from leadloop.leads.selectors import visible_leads
from leadloop.leads.states import INSIDE_OPEN, SALES_OPEN
from leadloop.lib.words import plural
from leadloop.reports import metrics
from leadloop.sla.choices import ClockKind, ClockResult
from leadloop.sla.models import SlaClock
from leadloop.web.selectors import SALES_OPEN_CSV
from leadloop.web.trends import Trend, Window, compare, months, weeks


@dataclass(frozen=True)
class Tile:
    """One number of a home page: what it counts, its value, how it moved (`change`,
    against the previous window), a note, and where the leads behind it are.
    `tone` "bad" marks what needs acting on."""

    label: str
    value: str
    href: str
    trend: str = ""
    tone: str = ""
    key: str = ""
    change: Trend | None = None


@dataclass
class CampaignLine:
    """One campaign's month for marketing's home."""

    campaign: Campaign
    leads: int
    leads_href: str
    qualified: int
    qualified_href: str
    cost_per_qualified: Decimal | None
    leads_change: Trend | None = None
    qualified_change: Trend | None = None


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
    """SLA compliance this week vs last, breaches open now (with the deadlines missed
    this week vs last week to date), feedback owed now vs a week ago, purgatory."""
    week, week_before = weeks(now, tz)
    monday, today = week.first_day, week.last_day
    teams = sorted(managed_team_ids(user))
    clocks = SlaClock.objects.filter(
        lead__in=visible_leads(user).values("pk"), team_id__in=teams
    ).exclude(result=ClockResult.CANCELLED)
    met = Q(result=ClockResult.MET)
    # Compliance is a share: this week so far against all of last week.
    this = Q(started_at__gte=week.start, started_at__lte=now)
    last = Q(started_at__gte=week_before.start, started_at__lt=week.start)
    # A deadline missed in a window: the clock fell due in it and was not met.
    missed = ~met & Q(due_at__lt=now)
    counts = clocks.aggregate(
        met_this=Count("id", filter=this & met),
        late_this=Count("id", filter=this & _late(now)),
        met_last=Count("id", filter=last & met),
        late_last=Count("id", filter=last & _late(now)),
        open_late=Count("id", filter=Q(stopped_at__isnull=True) & _late(now)),
        missed_this=Count("id", filter=missed & Q(due_at__gte=week.start, due_at__lt=week.end)),
        missed_last=Count(
            "id", filter=missed & Q(due_at__gte=week_before.start, due_at__lt=week_before.end)
        ),
    )
    share_this = _share(counts["met_this"], counts["late_this"])
    share_last = _share(counts["met_last"], counts["late_last"])
    compliance = (
        compare(
            share_this,
            share_last,
            "last week",
            shown=(_pct(share_this), _pct(share_last)),
        )
        if share_this is not None and share_last is not None
        else None
    )
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
                "" if compliance else f"last week: {_pct(share_last)}",
                "bad" if share_this is not None and share_this < 0.8 else "",
                "compliance",
                compliance,
            ),
            Tile(
                "SLA breaches open now",
                f"{counts['open_late']:,}",
                _leads_url(sla_result="open_late", sla_team=team, as_of=as_of),
                "clocks past their deadline, not yet handled",
                "bad" if counts["open_late"] else "",
                "breaches",
                compare(
                    counts["missed_this"],
                    counts["missed_last"],
                    week_before.words,
                    more_is_better=False,
                    what="missed this week",
                ),
            ),
            Tile(
                "Feedback owed by sales",
                f"{debt.feedback_overdue:,}",
                reverse("followup:feedback_owed"),
                "outcomes and updates past their SLA",
                "bad" if debt.feedback_overdue else "",
                "feedback",
                compare(
                    debt.feedback_overdue,
                    debt.feedback_overdue_week_ago,
                    "a week ago",
                    more_is_better=False,
                ),
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
    """Leads and qualified leads this month against last month to the same day, and by
    campaign with the cost per qualified lead (the campaign's cost over its qualified
    leads to date), against what it was when this month began."""
    first, previous, today = _month_window(now, tz)
    month, month_before = months(now, tz)
    leads = visible_leads(user)
    created_this = Q(created_at__gte=month.start, created_at__lte=now)
    created_last = Q(created_at__gte=month_before.start, created_at__lt=month_before.end)
    qualified_this = Q(handed_off_at__gte=month.start, handed_off_at__lte=now)
    qualified_last = Q(handed_off_at__gte=month_before.start, handed_off_at__lt=month_before.end)
    rows = list(
        leads.order_by()
        .values("campaign_id")
        .annotate(
            leads=Count("id", filter=created_this),
            leads_last=Count("id", filter=created_last),
            qualified=Count("id", filter=qualified_this),
            qualified_last=Count("id", filter=qualified_last),
            qualified_ever=Count("id", filter=Q(handed_off_at__isnull=False)),
            qualified_before=Count("id", filter=Q(handed_off_at__lt=month.start)),
            # All of last month, for its own tile.
            leads_last_month=Count(
                "id", filter=Q(created_at__gte=month_before.start, created_at__lt=month.start)
            ),
            qualified_last_month=Count(
                "id",
                filter=Q(handed_off_at__gte=month_before.start, handed_off_at__lt=month.start),
            ),
        )
    )
    campaigns = Campaign.objects.in_bulk([r["campaign_id"] for r in rows])
    this_month = {"created_from": first, "created_to": today}
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
                leads_href=_leads_url(campaign=campaign.pk, **this_month),
                qualified=row["qualified"],
                qualified_href=_leads_url(campaign=campaign.pk, **handed),
                cost_per_qualified=(campaign.cost / ever) if ever and campaign.cost else None,
                leads_change=compare(row["leads"], row["leads_last"], month_before.words),
                qualified_change=compare(
                    row["qualified"], row["qualified_last"], month_before.words
                ),
            )
        )
    lines.sort(key=lambda line: (-line.qualified, -line.leads, line.campaign.name))
    total = {
        key: sum(r[key] for r in rows)
        for key in (
            "leads",
            "leads_last",
            "qualified",
            "qualified_last",
            "leads_last_month",
            "qualified_last_month",
        )
    }
    spent = sum((c.cost for c in campaigns.values() if c.cost), Decimal(0))
    ever_all = sum(r["qualified_ever"] for r in rows)
    before_all = sum(r["qualified_before"] for r in rows)
    cost_now = spent / ever_all if ever_all else None
    cost_then = spent / before_all if before_all else None
    return Dashboard(
        tiles=[
            Tile(
                "Leads this month",
                f"{total['leads']:,}",
                _leads_url(**this_month),
                key="leads",
                change=compare(total["leads"], total["leads_last"], month_before.words),
            ),
            Tile(
                "Qualified this month",
                f"{total['qualified']:,}",
                _leads_url(**handed),
                key="qualified",
                change=compare(total["qualified"], total["qualified_last"], month_before.words),
            ),
            Tile(
                "Qualified last month",
                f"{total['qualified_last_month']:,}",
                _leads_url(handoff_from=previous, handoff_to=last_end),
                f"of {plural(total['leads_last_month'], 'lead')} that came in",
                key="qualified_last",
            ),
            Tile(
                "Cost per qualified lead",
                _money(cost_now) if cost_now is not None else "—",
                reverse("reports:report", args=["campaigns"]),
                "all campaigns to date: their cost over their qualified leads",
                key="cost_per_qualified",
                change=(
                    compare(
                        float(cost_now),
                        float(cost_then),
                        f"on {first:%d %b}",
                        more_is_better=False,
                        shown=(_money(cost_now), _money(cost_then)),
                    )
                    if cost_now is not None and cost_then is not None
                    else None
                ),
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
    """Her queue, what is due by tonight, her hand-offs this week against last, and what
    became of them: of those she handed off this month, how many sales accepted, won or
    rejected so far, against last month's hand-offs to the same day."""
    today = now.astimezone(tz).date()
    tonight = _midnight(today + timedelta(days=1), tz)
    week, week_before = weeks(now, tz)
    month, month_before = months(now, tz)
    leads = visible_leads(user)
    mine = leads.filter(owner=user, stage__in=INSIDE_OPEN)
    queue = mine.count()
    due = _open_clocks_due_by(user, mine, tonight)

    def handed(window: Window) -> Q:
        return metrics.with_handoff(from_rep=user.pk, start=window.start, end=window.end)

    accepted, rejected, won = (
        metrics.sales_accepted(),
        metrics.sales_rejected(),
        Q(stage=Stage.WON),
    )
    ours = Q(handed_off_by=user)
    fates = leads.aggregate(
        with_sales=Count("id", filter=ours & Q(stage__in=SALES_OPEN)),
        week=Count("id", filter=handed(week)),
        week_before=Count("id", filter=handed(week_before)),
        accepted=Count("id", filter=handed(month) & accepted),
        accepted_before=Count("id", filter=handed(month_before) & accepted),
        won=Count("id", filter=handed(month) & won),
        won_before=Count("id", filter=handed(month_before) & won),
        rejected=Count("id", filter=handed(month) & rejected),
        rejected_before=Count("id", filter=handed(month_before) & rejected),
    )
    by_me = {"handoff_by": user.pk}
    this_month = {**by_me, "handoff_from": month.first_day, "handoff_to": month.last_day}
    since = month_before.words

    def fate(label: str, key: str, href: str, good: bool) -> Tile:
        return Tile(
            label,
            f"{fates[key]:,}",
            href,
            "of the leads I handed off this month",
            key=key,
            change=compare(fates[key], fates[f"{key}_before"], since, more_is_better=good),
        )

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
                "My hand-offs this week",
                f"{fates['week']:,}",
                _leads_url(handoff_from=week.first_day, handoff_to=week.last_day, **by_me),
                key="handoffs",
                change=compare(fates["week"], fates["week_before"], week_before.words),
            ),
            Tile(
                "My hand-offs with sales",
                f"{fates['with_sales']:,}",
                _leads_url(stage=SALES_OPEN_CSV, handed_off_by=user.pk),
                "open with sales now: their outcomes come to me",
                key="with_sales",
            ),
            fate(
                "Accepted by sales", "accepted", _leads_url(answer="accepted", **this_month), True
            ),
            fate("Won", "won", _leads_url(stage=Stage.WON.value, **this_month), True),
            fate(
                "Rejected by sales", "rejected", _leads_url(answer="rejected", **this_month), False
            ),
        ],
        period=f"{today:%a %d %b}",
    )


# ---------------------------------------------------------------- sales rep


def sales_rep(user: User, now: datetime, tz: tzinfo, debt: followup_selectors.MyDebt) -> Dashboard:
    """Her inbox, the cadence steps due and the feedback she owes (from her debt), with
    the feedback she gave on time and the cadence steps she did this week against
    last week to the same point."""
    week, week_before = weeks(now, tz)

    def stopped(window: Window) -> Q:
        return Q(stopped_at__gte=window.start, stopped_at__lt=window.end)

    def done(window: Window) -> Q:
        return Q(done_at__gte=window.start, done_at__lt=window.end)

    # Feedback clocks only (not the 30-day updates), as the link behind the tile selects.
    on_time = SlaClock.objects.filter(
        user=user, kind=ClockKind.FEEDBACK, result=ClockResult.MET
    ).aggregate(
        this=Count("id", filter=stopped(week)), before=Count("id", filter=stopped(week_before))
    )
    steps = CadenceTask.objects.filter(assignee=user, status=TaskStatus.DONE).aggregate(
        this=Count("id", filter=done(week)), before=Count("id", filter=done(week_before))
    )
    days = {"from": week.first_day, "to": week.last_day}
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
                "Cadence steps done this week",
                f"{steps['this']:,}",
                _leads_url(cadence_user=user.pk, cadence_from=days["from"], cadence_to=days["to"]),
                key="tasks_done",
                change=compare(steps["this"], steps["before"], week_before.words),
            ),
            Tile(
                "Feedback I owe",
                f"{debt.feedback_total:,}",
                f"{reverse('followup:feedback_owed')}?rep={user.pk}",
                "outcomes and updates past their SLA",
                "bad" if debt.feedback_total else "",
                "feedback",
            ),
            Tile(
                "Feedback on time this week",
                f"{on_time['this']:,}",
                _leads_url(
                    sla_user=user.pk,
                    sla_result="met",
                    sla=ClockKind.FEEDBACK.value,
                    sla_stopped_from=days["from"],
                    sla_stopped_to=days["to"],
                ),
                "outcomes given within their SLA",
                key="feedback_on_time",
                change=compare(on_time["this"], on_time["before"], week_before.words),
            ),
        ],
        period=f"week of {week.first_day:%a %d %b}",
    )
