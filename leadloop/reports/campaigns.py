"""`campaigns`: per campaign and channel, what its leads became and what that
was worth (seeds 001-003): cost, leads, reached, unreachable, out of target
market, qualified, accepted, opportunities, pipeline, won revenue, cost per
qualified lead and ROI.

A cohort report: the leads that came in during the period, with their fate
as of now. One aggregate over the leads, grouped by campaign; the channel
rows and the total are sums of the campaign rows.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, Sum

from leadloop.accounts.selectors import relevant_team_ids
from leadloop.campaigns.choices import Channel
from leadloop.campaigns.models import Campaign
from leadloop.leads.choices import Stage
from leadloop.reports import metrics
from leadloop.reports.common import Ctx, rep_lead_field
from leadloop.reports.filters import ReportFilters, team_kind
from leadloop.reports.result import Cell, Chart, Column, Report, Row, Table, bar, link
from leadloop.reports.scope import Viewer

NAME = "campaigns"
TITLE = "Campaign ROI"
DESCRIPTION = (
    "Per campaign and channel, for the leads that came in during the period: cost, "
    "leads, reached, unreachable, out of target market, qualified, accepted, "
    "opportunities, pipeline, won revenue, cost per qualified lead and ROI."
)

COUNTS = (
    "leads",
    "reached",
    "unreachable",
    "out_of_target",
    "qualified",
    "accepted",
    "opportunities",
    "won",
)
COLUMNS = [
    Column("cost", "Cost", "money", "The campaign's whole cost."),
    Column("leads", "Leads", "int"),
    Column("reached", "Reached", "int", "A two-way contact, or handed off."),
    Column("unreachable", "Unreachable", "int", "Attempt policy exhausted, no contact."),
    Column("out_of_target", "Out of target", "int", "Latest reason code is out of target market."),
    Column("qualified", "Qualified", "int", "Handed off to sales."),
    Column("accepted", "Accepted", "int", "Accepted by sales."),
    Column("opportunities", "Opportunities", "int", "Opened as an opportunity (or won)."),
    Column("won", "Won", "int"),
    Column("pipeline", "Pipeline", "money", "Amount of the open opportunities now."),
    Column("revenue", "Won revenue", "money"),
    Column("cost_per_qualified", "Cost per qualified", "money", "Cost / qualified."),
    Column("roi", "ROI", "pct", "(Won revenue - cost) / cost."),
]


def _cells(values: dict[str, Any], base: dict[str, str]) -> Row:
    cost = Decimal(values.get("cost") or 0)
    revenue = Decimal(values.get("revenue") or 0)
    qualified = int(values.get("qualified") or 0)
    per_link = {
        "leads": {},
        "reached": {"reach": "reached"},
        "unreachable": {"reach": "unreachable"},
        "out_of_target": {"out_of_target": "1"},
        "qualified": {"step": "qualified"},
        "accepted": {"step": "accepted"},
        "opportunities": {"step": "opportunity"},
        "won": {"stage": Stage.WON.value},
    }
    row: Row = {"cost": Cell(cost, base)}
    for key, extra in per_link.items():
        row[key] = Cell(int(values.get(key) or 0), link(base, **extra))
    row["pipeline"] = Cell(
        Decimal(values.get("pipeline") or 0), link(base, stage=Stage.OPPORTUNITY.value)
    )
    row["revenue"] = Cell(revenue, link(base, stage=Stage.WON.value))
    row["cost_per_qualified"] = Cell(
        (cost / qualified) if qualified else None, link(base, step="qualified")
    )
    roi = metrics.share(float(revenue - cost), float(cost)) if cost else None
    row["roi"] = Cell(
        roi, link(base, stage=Stage.WON.value), tone="bad" if roi is not None and roi < 0 else ""
    )
    return row


def build(viewer: Viewer, filters: ReportFilters, *, now: datetime) -> Report:
    ctx = Ctx.make(viewer, filters, now)
    fl, win = ctx.filters, ctx.window
    leads = ctx.leads()
    base = {**ctx.lead_links(), **win.link("created")}
    leads = leads.filter(win.q("created_at"))
    if fl.rep:
        field = rep_lead_field(fl.rep)
        leads = leads.filter(**{f"{field}_id": fl.rep})
        base[field] = str(fl.rep)
    since = win.start
    per_campaign = {
        r["campaign_id"]: r
        for r in leads.order_by()
        .values("campaign_id")
        .annotate(
            leads=Count("id"),
            reached=Count("id", filter=metrics.reached()),
            unreachable=Count("id", filter=metrics.unreachable()),
            out_of_target=Count("id", filter=metrics.out_of_target()),
            qualified=Count("id", filter=metrics.qualified()),
            accepted=Count("id", filter=metrics.in_step("accepted", since=since)),
            opportunities=Count("id", filter=metrics.in_step("opportunity", since=since)),
            won=Count("id", filter=metrics.won()),
            pipeline=Sum("amount", filter=metrics.open_pipeline()),
            revenue=Sum("revenue", filter=metrics.won()),
        )
    }
    # Campaigns running in the period count with their cost even without leads.
    running = Campaign.objects.all()
    if win.end is not None:
        running = running.filter(Q(starts_on__isnull=True) | Q(starts_on__lt=win.end.date()))
    if win.start is not None:
        running = running.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=win.start.date()))
    if fl.campaign:
        running = running.filter(pk=fl.campaign)
    if fl.channel:
        running = running.filter(channel=fl.channel)
    teams = fl.lead_team or (fl.team if team_kind(fl.team) != "sales" else None)
    if teams:
        running = running.filter(team_id=teams)
    if viewer.user is not None and viewer.lead_q() is not None:
        allowed = relevant_team_ids(viewer.user)
        if allowed is not None:
            running = running.filter(team_id__in=allowed)
    if fl.rep:
        running = running.none()  # a rep's numbers: only campaigns she has leads of
    ids = set(per_campaign) | set(running.values_list("pk", flat=True))
    info = {c.pk: c for c in Campaign.objects.filter(pk__in=ids).order_by("name")}
    campaign_table = Table(
        key="by_campaign",
        title="By campaign",
        columns=[
            Column("campaign", "Campaign", "text"),
            Column("channel", "Channel", "text"),
            *COLUMNS,
        ],
        note="Cost is each campaign's whole cost: "
        "pick a period that covers the campaigns compared.",
    )
    by_channel: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(lambda: Decimal(0)))
    total: dict[str, Any] = defaultdict(lambda: Decimal(0))
    for pk, campaign in info.items():
        values: dict[str, Any] = dict(per_campaign.get(pk, {}))
        values["cost"] = campaign.cost
        campaign_table.rows.append(
            {
                "campaign": Cell(campaign.name),
                "channel": Cell(str(campaign.get_channel_display())),
                **_cells(values, link(base, campaign=pk)),
            }
        )
        for key in (*COUNTS, "pipeline", "revenue", "cost"):
            amount = values.get(key) or 0
            by_channel[campaign.channel][key] += amount
            total[key] += amount
    campaign_table.total = {
        "campaign": Cell("All campaigns"),
        "channel": Cell(""),
        **_cells(total, base),
    }

    channel_table = Table(
        key="by_channel",
        title="By channel",
        columns=[Column("channel", "Channel", "text"), *COLUMNS],
    )
    for channel in Channel:
        if channel.value in by_channel:
            channel_table.rows.append(
                {
                    "channel": Cell(str(channel.label)),
                    **_cells(by_channel[channel.value], link(base, channel=channel.value)),
                }
            )
    channel_table.total = {"channel": Cell("All channels"), **_cells(total, base)}

    chart = Chart(
        kind="bars",
        title="Cost per qualified lead, by campaign",
        unit="money",
        value_axis=f"Cost per qualified lead ({settings.LEADLOOP_CURRENCY})",
        category_axis="Campaign",
        bars=[
            bar(row, "campaign", "cost_per_qualified")
            for row in campaign_table.rows
            if row["cost_per_qualified"].value is not None
        ],
    )
    return Report(
        name=NAME,
        title=TITLE,
        description=DESCRIPTION,
        now=now,
        date_from=win.date_from,
        date_to=win.date_to,
        filters=ctx.described_filters(),
        tables=[campaign_table, channel_table],
        chart=chart,
        notes=[
            "Leads that came in during the period, with what they became by now.",
            "Campaigns running in the period are listed with their cost even if no lead came in.",
        ],
    )
