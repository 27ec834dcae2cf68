"""`sla`: how many SLA clocks were met, by SLA, channel, campaign, rep and team;
open breaches and at-risk leads now (seed 000: the SLAs and the reports that
support them).

One aggregate over the clocks that started in the window, grouped by (kind,
campaign, owed-by user, team); the five breakdowns are sums of those few
hundred rows. Open breaches and at-risk clocks are a second aggregate over
the open clocks, whenever they started.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from django.db.models import Count, QuerySet

from leadloop.reports import metrics
from leadloop.reports.common import Ctx, campaigns, channel_label, team_names, user_names
from leadloop.reports.db import merging_joins
from leadloop.reports.filters import ReportFilters
from leadloop.reports.result import Bar, Cell, Chart, Column, Report, Row, Table, link
from leadloop.reports.scope import Viewer
from leadloop.sla.choices import ClockKind
from leadloop.sla.models import SlaClock

NAME = "sla"
TITLE = "SLA compliance"
DESCRIPTION = (
    "Share of SLA clocks met, by SLA, channel, campaign, rep and team, for clocks that "
    "started in the period; open breaches and at-risk leads now."
)
KIND_ORDER = [k.value for k in ClockKind]
KIND_LABEL = dict(ClockKind.choices)

COUNTS = ("met", "late", "pending")


def _clocks(ctx: Ctx) -> QuerySet[SlaClock]:
    qs = ctx.about_leads(SlaClock.objects.all())
    fl = ctx.filters
    if fl.team:
        qs = qs.filter(team_id=fl.team)
    if fl.rep:
        qs = qs.filter(user_id=fl.rep)
    return qs


def _base_link(ctx: Ctx) -> dict[str, str]:
    fl = ctx.filters
    out = {"as_of": ctx.as_of}
    if fl.team:
        out["sla_team"] = str(fl.team)
    if fl.rep:
        out["sla_user"] = str(fl.rep)
    if fl.lead_team:
        out["team"] = str(fl.lead_team)
    if fl.campaign:
        out["campaign"] = str(fl.campaign)
    if fl.channel:
        out["channel"] = fl.channel
    return out


COLUMNS = [
    Column("clocks", "Clocks", "int", "Clocks started in the period, cancelled ones left out."),
    Column("met", "Met", "int", "Stopped on time."),
    Column("late", "Late", "int", "Breached, or running past due."),
    Column("pending", "Pending", "int", "Running, not yet due."),
    Column("compliance", "Met share", "pct", "Met / (met + late)."),
]


def _cells(counts: Mapping[str, int], base: Mapping[str, str]) -> Row:
    met, late, pending = (counts.get(k, 0) for k in COUNTS)
    return {
        "clocks": Cell(met + late + pending, link(base, sla_result="counted")),
        "met": Cell(met, link(base, sla_result="met")),
        "late": Cell(late, link(base, sla_result="late"), tone="bad" if late else ""),
        "pending": Cell(pending, link(base, sla_result="pending")),
        "compliance": Cell(metrics.share(met, met + late), link(base, sla_result="counted")),
    }


def _add(into: dict[str, int], row: Mapping[str, Any]) -> None:
    for k in COUNTS:
        into[k] = into.get(k, 0) + int(row[k])


def build(viewer: Viewer, filters: ReportFilters, *, now: datetime) -> Report:
    ctx = Ctx.make(viewer, filters, now)
    win = ctx.window
    started = _clocks(ctx).filter(metrics.clock_counted(now))
    started = started.filter(win.q("started_at"))
    with merging_joins():
        rows = list(
            started.order_by()
            .values("kind", "lead__campaign_id", "user_id", "team_id")
            .annotate(
                met=Count("id", filter=metrics.clock_met(now)),
                late=Count("id", filter=metrics.clock_late(now)),
                pending=Count("id", filter=metrics.clock_pending(now)),
            )
        )
    open_now: dict[str, dict[str, Any]] = {
        r["kind"]: dict(r)
        for r in _clocks(ctx)
        .filter(stopped_at__isnull=True)
        .order_by()
        .values("kind")
        .annotate(
            open_late=Count("id", filter=metrics.clock_open_late(now)),
            at_risk=Count("id", filter=metrics.clock_at_risk(now)),
        )
    }
    camp = campaigns(r["lead__campaign_id"] for r in rows)
    users = user_names(r["user_id"] for r in rows)
    teams = team_names(r["team_id"] for r in rows)
    base = _base_link(ctx)
    window_link = win.link("sla")

    # By SLA, with the open breaches now.
    by_kind: dict[str, dict[str, int]] = defaultdict(dict)
    for r in rows:
        _add(by_kind[r["kind"]], r)
    kind_table = Table(
        key="by_kind",
        title="By SLA",
        columns=[
            Column("sla", "SLA", "text"),
            *COLUMNS,
            Column("open_late", "Open breaches now", "int", "Not stopped and past due, now."),
            Column("at_risk", "At risk now", "int", "Running, past 80 % of the allowed time."),
        ],
    )
    total: dict[str, int] = {}
    total_open = {"open_late": 0, "at_risk": 0}
    for kind in KIND_ORDER:
        counts = by_kind.get(kind, {})
        now_row = open_now.get(kind, {})
        if not counts and not now_row:
            continue
        kbase = link(base, sla=kind, **window_link)
        row: Row = {"sla": Cell(str(KIND_LABEL[kind])), **_cells(counts, kbase)}
        for key in ("open_late", "at_risk"):
            n = int(now_row.get(key, 0))
            total_open[key] += n
            row[key] = Cell(
                n,
                link(base, sla=kind, sla_result=key),
                tone="bad" if n and key == "open_late" else "",
            )
        kind_table.rows.append(row)
        for k in COUNTS:
            total[k] = total.get(k, 0) + counts.get(k, 0)
    kind_table.total = {
        "sla": Cell("All SLAs"),
        **_cells(total, link(base, **window_link)),
        "open_late": Cell(total_open["open_late"], link(base, sla_result="open_late")),
        "at_risk": Cell(total_open["at_risk"], link(base, sla_result="at_risk")),
    }

    def breakdown(
        key: str,
        title: str,
        label: str,
        dim: Callable[[Mapping[str, Any]], Any],
        name: Callable[[Any], str],
        dim_link: Callable[[Any], dict[str, Any]],
    ) -> Table:
        groups: dict[tuple[Any, str], dict[str, int]] = defaultdict(dict)
        for r in rows:
            _add(groups[(dim(r), r["kind"])], r)
        table = Table(
            key=key,
            title=title,
            columns=[Column("group", label, "text"), Column("sla", "SLA", "text"), *COLUMNS],
        )
        ordered = sorted(groups, key=lambda g: (name(g[0]).lower(), KIND_ORDER.index(g[1])))
        for value, kind in ordered:
            gbase = link(base, sla=kind, **window_link, **dim_link(value))
            table.rows.append(
                {
                    "group": Cell(name(value)),
                    "sla": Cell(str(KIND_LABEL[kind])),
                    **_cells(groups[(value, kind)], gbase),
                }
            )
        table.total = {
            "group": Cell("All"),
            "sla": Cell("All SLAs"),
            **_cells(total, link(base, **window_link)),
        }
        return table

    def channel_of(r: Mapping[str, Any]) -> str:
        return camp.get(r["lead__campaign_id"], ("", ""))[1]

    tables = [
        kind_table,
        breakdown(
            "by_channel",
            "By channel",
            "Channel",
            channel_of,
            channel_label,
            lambda c: {"channel": c},
        ),
        breakdown(
            "by_campaign",
            "By campaign",
            "Campaign",
            lambda r: r["lead__campaign_id"],
            lambda c: camp.get(c, ("—", ""))[0],
            lambda c: {"campaign": c},
        ),
        breakdown(
            "by_rep",
            "By rep (who owes the SLA)",
            "Rep",
            lambda r: r["user_id"],
            lambda u: users.get(u, "Nobody (unassigned)"),
            lambda u: {"sla_user": u},
        ),
        breakdown(
            "by_team",
            "By team",
            "Team",
            lambda r: r["team_id"],
            lambda t: teams.get(t, "—"),
            lambda t: {"sla_team": t},
        ),
    ]
    chart = Chart(
        kind="stacked",
        title="Share of clocks met, late and pending, by SLA",
        shares=True,
        value_axis="Share of the SLA's clocks (%)",
        category_axis="SLA",
        bars=[
            Bar(
                label=row["sla"].value if isinstance(row["sla"].value, str) else "",
                value=float(row[key].value or 0),
                link=row[key].link,
                series=series,
            )
            for row in kind_table.rows
            for key, series in (("met", "Met"), ("late", "Late"), ("pending", "Pending"))
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
        tables=tables,
        chart=chart,
        notes=[
            "A clock is one service level on one lead; a lead that comes back to the "
            "queue starts new clocks, so a lead can count more than once.",
            "Met share = met / (met + late); clocks still running and not yet due are "
            "pending and do not count either way.",
        ],
    )
