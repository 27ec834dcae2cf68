"""`reasons`: the coded reasons of disqualifications, rejections and losses, by
team, rep and campaign over time, with a training flag where a rep's share of
a reason is far above her team's (seed 000: teleprospecting learns from its
disqualifications).

Counts reasons given in the period (stage changes with a reason code),
in four groups by where the lead went (`metrics.REASON_GROUPS`). Each reason
counts against the rep whose work it judges: the inside rep for her own
disqualifications and for sales' rejections of her handoffs, the sales rep
for sales' disqualifications and losses. One aggregate; the tables are sums.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Case, Count, F, QuerySet, When
from django.db.models.functions import TruncMonth

from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead, ReasonCode
from leadloop.lib.words import plural
from leadloop.reports import metrics
from leadloop.reports.common import Ctx, campaigns, team_names, user_names, user_teams
from leadloop.reports.filters import ReportFilters
from leadloop.reports.result import Bar, Cell, Chart, Column, Report, Row, Table, link
from leadloop.reports.scope import Viewer

NAME = "reasons"
TITLE = "Reasons"
DESCRIPTION = (
    "Disqualification, rejection and loss reasons given in the period, by team, rep, "
    "campaign and month, with a training flag where a rep's share of a reason is far "
    "above her team's."
)
INSIDE_GROUPS = (Stage.DISQUALIFIED, Stage.REJECTED)
GROUP_ORDER = [g.stage for g in metrics.REASON_GROUPS]
GROUP_LABEL = {g.stage: g.label for g in metrics.REASON_GROUPS}


def rep_expr(prefix: str = "lead__") -> Case:
    """The rep a reason counts against (see REASON_GROUPS), by the stage it led to."""
    stage = "to_stage" if prefix else "stage"
    return Case(
        *[
            When(**{stage: g.stage}, then=F(f"{prefix}{g.rep_field}_id"))
            for g in metrics.REASON_GROUPS
        ]
    )


def team_expr(prefix: str = "lead__") -> Case:
    """Inside groups: the team working the lead; sales groups: its sales rep's team."""
    stage = "to_stage" if prefix else "stage"
    return Case(
        When(**{f"{stage}__in": INSIDE_GROUPS}, then=F(f"{prefix}team_id")),
        default=F(f"{prefix}sales_rep__team_id"),
    )


def team_link(stage: str, team: int | None) -> dict[str, Any]:
    return {"team" if stage in INSIDE_GROUPS else "sales_team": team}


def rep_link(stage: str, rep: int | None) -> dict[str, Any]:
    return {metrics.REASON_GROUP[stage].rep_field: rep}


@dataclass(frozen=True)
class Counts:
    """Reasons given, per (group, reason, rep, team, campaign, month)."""

    rows: list[dict[str, Any]]

    def total(self, **match: Any) -> int:
        return sum(r["n"] for r in self.rows if all(r[k] == v for k, v in match.items()))

    def by(self, *keys: str) -> dict[tuple[Any, ...], int]:
        out: dict[tuple[Any, ...], int] = defaultdict(int)
        for r in self.rows:
            out[tuple(r[k] for k in keys)] += r["n"]
        return out


# A lead that was disqualified (by either side) or lost stays so: its stage,
# reason code and stage_changed_at are those of that stage change, so those
# three groups are read from the leads in one scan. A rejected lead moves on,
# so rejections are read from the history (there are few).
CLOSED_GROUPS = (Stage.DISQUALIFIED, Stage.DISQUALIFIED_BY_SALES, Stage.LOST)


def _narrow(qs: QuerySet[Any], ctx: Ctx, prefix: str) -> QuerySet[Any]:
    fl = ctx.filters
    qs = ctx.about_leads(qs, prefix).order_by().annotate(rep=rep_expr(prefix))
    if fl.team:
        qs = qs.annotate(reason_team=team_expr(prefix)).filter(reason_team=fl.team)
    if fl.rep:
        qs = qs.filter(rep=fl.rep)
    return qs


def counts(ctx: Ctx) -> Counts:
    """Reasons given in the window, grouped finely enough for every table.

    The team of a sales-side reason is its sales rep's team, looked up per
    rep afterwards rather than joined for every lead.
    """
    win, tz = ctx.window, ctx.viewer.tz
    closed = Lead.objects.filter(stage__in=CLOSED_GROUPS, reason_code__isnull=False)
    closed = closed.filter(win.q("stage_changed_at"))
    keys = ("stage", "reason_code_id", "rep", "lead_team", "lead_campaign", "month")
    closed_rows = (
        _narrow(closed, ctx, "")
        .annotate(
            month=TruncMonth("stage_changed_at", tzinfo=tz),
            lead_team=F("team_id"),
            lead_campaign=F("campaign_id"),
        )
        .values(*keys)
        .annotate(n=Count("id"))
    )
    rejected = metrics.reason_events(stage=Stage.REJECTED, start=win.start, end=win.end)
    rejected_rows = (
        _narrow(rejected, ctx, "lead__")
        .annotate(
            month=TruncMonth("at", tzinfo=tz),
            stage=F("to_stage"),
            lead_team=F("lead__team_id"),
            lead_campaign=F("lead__campaign_id"),
        )
        .values(*keys)
        .annotate(n=Count("id"))
    )
    rows = [*closed_rows, *rejected_rows]
    sales_teams = user_teams(r["rep"] for r in rows if r["stage"] not in INSIDE_GROUPS)
    out = []
    for r in rows:
        month = r["month"]
        inside = r["stage"] in INSIDE_GROUPS
        out.append(
            {
                "stage": r["stage"],
                "reason": r["reason_code_id"],
                "rep": r["rep"],
                "team": r["lead_team"] if inside else sales_teams.get(r["rep"]),
                "campaign": r["lead_campaign"],
                "month": month.date() if isinstance(month, datetime) else month,
                "n": int(r["n"]),
            }
        )
    return Counts(out)


@dataclass(frozen=True)
class RepReason:
    """A rep's share of a reason next to her team's, and the training flag's test."""

    stage: str
    rep: int
    team: int | None
    reason: int
    k_rep: int
    n_rep: int
    k_team: int
    n_team: int
    test: metrics.ZTest | None

    @property
    def flagged(self) -> bool:
        return self.test is not None


def rep_reasons(c: Counts, stages: Iterable[str] = GROUP_ORDER) -> list[RepReason]:
    """Every (rep, reason) with at least one reason given, with its team comparison."""
    per = c.by("stage", "team", "rep", "reason")
    rep_totals = c.by("stage", "team", "rep")
    team_reason = c.by("stage", "team", "reason")
    team_totals = c.by("stage", "team")
    out = []
    for (stage, team, rep, reason), k in per.items():
        if rep is None or stage not in stages:
            continue
        n = rep_totals[(stage, team, rep)]
        k_team, n_team = team_reason[(stage, team, reason)], team_totals[(stage, team)]
        test = metrics.training_flag(k, n, k_team - k, n_team - n)
        out.append(RepReason(stage, rep, team, reason, k, n, k_team, n_team, test))
    return out


def reason_labels() -> dict[int, str]:
    return dict(ReasonCode.objects.values_list("pk", "label"))


def month_window(month: date, first: date | None, last: date | None) -> dict[str, str]:
    """Lead-list dates of one calendar month, within the report's window."""
    end = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    start = max(month, first) if first else month
    end = min(end, last) if last else end
    return {"reason_from": start.isoformat(), "reason_to": end.isoformat()}


REP_COLUMNS = [
    Column("group", "Given at", "text"),
    Column("rep", "Rep", "text"),
    Column("team", "Team", "text"),
    Column("reason", "Reason", "text"),
    Column("k_rep", "Rep: this reason", "int"),
    Column("n_rep", "Rep: all reasons", "int"),
    Column("rep_share", "Rep share", "pct"),
    Column("k_team", "Team: this reason", "int"),
    Column("n_team", "Team: all reasons", "int"),
    Column("team_share", "Team share", "pct"),
    Column(
        "z",
        "How unusual (z)",
        "float",
        "How many standard errors the rep's share of this reason lies above the rest of "
        "the team's (a two-proportion z-test); above 2 is unusual.",
    ),
    Column(
        "p",
        "Chance it is luck (p)",
        "float",
        "The chance of a share at least this far above the team's if the rep were just "
        "like the rest of the team (one-sided); under 0.05 raises a training flag.",
    ),
    Column("flag", "Training flag", "text"),
]


def rep_table(
    ctx: Ctx, items: list[RepReason], *, base: dict[str, str], key: str = "by_rep", title: str = ""
) -> Table:
    labels, names, teams = reason_labels(), user_names(i.rep for i in items), team_names()
    table = Table(
        key=key,
        title=title or "By rep, next to the team (training flags)",
        columns=REP_COLUMNS,
        note=(
            "Training flag: the rep's share of a reason is above the rest of her team's "
            f"in a one-sided two-proportion z-test with p < {metrics.TRAINING_P}, and she "
            f"gave it at least {metrics.TRAINING_MIN_COUNT} times."
        ),
    )
    items = sorted(
        items,
        key=lambda i: (
            GROUP_ORDER.index(i.stage),
            names.get(i.rep, "").lower(),
            -i.k_rep,
            labels.get(i.reason, ""),
        ),
    )
    for i in items:
        rep_l = link(
            base, reason_stage=i.stage, **rep_link(i.stage, i.rep), **team_link(i.stage, i.team)
        )
        team_l = link(base, reason_stage=i.stage, **team_link(i.stage, i.team))
        tone = "bad" if i.flagged else ""
        note = (
            f"z = {i.test.z:.2f}, p = {i.test.p_greater:.4f}: {i.k_rep}/{i.n_rep} against "
            f"{i.k_team - i.k_rep}/{i.n_team - i.n_rep} for the rest of the team"
            if i.test
            else ""
        )
        rest = metrics.two_proportion_z(i.k_rep, i.n_rep, i.k_team - i.k_rep, i.n_team - i.n_rep)
        table.rows.append(
            {
                "group": Cell(GROUP_LABEL[i.stage]),
                "rep": Cell(names.get(i.rep, "—")),
                "team": Cell(teams.get(i.team or 0, "—")),
                "reason": Cell(labels.get(i.reason, "—")),
                "k_rep": Cell(i.k_rep, link(rep_l, reason=i.reason), tone=tone),
                "n_rep": Cell(i.n_rep, rep_l),
                "rep_share": Cell(
                    metrics.share(i.k_rep, i.n_rep), link(rep_l, reason=i.reason), tone=tone
                ),
                "k_team": Cell(i.k_team, link(team_l, reason=i.reason)),
                "n_team": Cell(i.n_team, team_l),
                "team_share": Cell(
                    metrics.share(i.k_team, i.n_team), link(team_l, reason=i.reason)
                ),
                "z": Cell(rest.z if rest else None, link(rep_l, reason=i.reason)),
                "p": Cell(rest.p_greater if rest else None, link(rep_l, reason=i.reason)),
                "flag": Cell(
                    "training" if i.flagged else "",
                    link(rep_l, reason=i.reason) if i.flagged else None,
                    tone=tone,
                    note=note,
                ),
            }
        )
    return table


def base_link(ctx: Ctx) -> dict[str, str]:
    fl = ctx.filters
    out = {**ctx.window.link("reason")}
    if fl.campaign:
        out["campaign"] = str(fl.campaign)
    if fl.channel:
        out["channel"] = fl.channel
    if fl.lead_team:
        out["team"] = str(fl.lead_team)
    return out


def build(viewer: Viewer, filters: ReportFilters, *, now: datetime) -> Report:
    ctx = Ctx.make(viewer, filters, now)
    win = ctx.window
    c = counts(ctx)
    base = base_link(ctx)
    fl = ctx.filters
    labels = reason_labels()

    def scoped(stage: str, **extra: Any) -> dict[str, str]:
        """`base` for one group, keeping the team and rep filters the report applied."""
        more: dict[str, Any] = {"reason_stage": stage}
        if fl.team:
            more |= team_link(stage, fl.team)
        if fl.rep:
            more |= rep_link(stage, fl.rep)
        # A row's own team (or campaign) takes the place of the filter's: the same
        # lead-list parameter, never given twice.
        return link(base, **(more | extra))

    group_totals = c.by("stage")
    by_reason = Table(
        key="by_reason",
        title="By reason",
        columns=[
            Column("group", "Given at", "text"),
            Column("reason", "Reason", "text"),
            Column("n", "Reasons given", "int"),
            Column("share", "Share of the group", "pct"),
        ],
    )
    per_reason = c.by("stage", "reason")
    for (stage, reason), n in sorted(
        per_reason.items(),
        key=lambda kv: (GROUP_ORDER.index(kv[0][0]), -kv[1], labels.get(kv[0][1], "")),
    ):
        by_reason.rows.append(
            {
                "group": Cell(GROUP_LABEL[stage]),
                "reason": Cell(labels.get(reason, "—")),
                "n": Cell(n, scoped(stage, reason=reason)),
                "share": Cell(
                    metrics.share(n, group_totals[(stage,)]), scoped(stage, reason=reason)
                ),
            }
        )
    every = sum(group_totals.values())
    by_reason.total = {
        "group": Cell("All"),
        "reason": Cell(""),
        "n": Cell(every, base if not (fl.team or fl.rep) else None),
        "share": Cell(None),
    }

    def dim_table(
        key: str, title: str, dim: str, label: str, names: dict[Any, str], dim_link: Any
    ) -> Table:
        table = Table(
            key=key,
            title=title,
            columns=[
                Column("group", "Given at", "text"),
                Column("dim", label, "text"),
                Column("reason", "Reason", "text"),
                Column("n", "Reasons given", "int"),
                Column("share", f"Share of the {label.lower()}'s", "pct"),
            ],
        )
        per = c.by("stage", dim, "reason")
        totals = c.by("stage", dim)
        for (stage, value, reason), n in sorted(
            per.items(),
            key=lambda kv: (
                GROUP_ORDER.index(kv[0][0]),
                names.get(kv[0][1], "").lower(),
                -kv[1],
                labels.get(kv[0][2], ""),
            ),
        ):
            extra = dim_link(stage, value)
            table.rows.append(
                {
                    "group": Cell(GROUP_LABEL[stage]),
                    "dim": Cell(names.get(value, "—")),
                    "reason": Cell(labels.get(reason, "—")),
                    "n": Cell(
                        n, scoped(stage, reason=reason, **extra) if value is not None else None
                    ),
                    "share": Cell(
                        metrics.share(n, totals[(stage, value)]),
                        scoped(stage, reason=reason, **extra) if value is not None else None,
                    ),
                }
            )
        return table

    teams = team_names()
    camps = {k: v[0] for k, v in campaigns().items()}
    team_table = dim_table("by_team", "By team", "team", "Team", teams, team_link)
    campaign_table = dim_table(
        "by_campaign", "By campaign", "campaign", "Campaign", camps, lambda s, v: {"campaign": v}
    )
    flags = rep_reasons(c)
    reps = rep_table(ctx, flags, base=base)

    per_month = c.by("month", "stage")
    months = sorted({m for (m, _s) in per_month if m is not None})
    month_table = Table(
        key="by_month",
        title="By month",
        columns=[
            Column("month", "Month", "text"),
            *[Column(stage, GROUP_LABEL[stage], "int") for stage in GROUP_ORDER],
            Column("total", "All", "int"),
        ],
    )
    chart_bars: list[Bar] = []
    for month in months:
        window = month_window(month, win.date_from, win.date_to)
        row: Row = {"month": Cell(month.strftime("%Y-%m"))}
        for stage in GROUP_ORDER:
            n = per_month.get((month, stage), 0)
            row[stage] = Cell(n, scoped(stage, **window))
            chart_bars.append(
                Bar(
                    label=month.strftime("%b %y"),
                    value=float(n),
                    link=row[stage].link,
                    series=GROUP_LABEL[stage],
                )
            )
        row["total"] = Cell(
            sum(per_month.get((month, s), 0) for s in GROUP_ORDER),
            link(base, **window) if not (fl.team or fl.rep) else None,
        )
        month_table.rows.append(row)
    month_table.total = {"month": Cell("All")}
    for stage in GROUP_ORDER:
        month_table.total[stage] = Cell(group_totals.get((stage,), 0), scoped(stage))
    month_table.total["total"] = Cell(every, base if not (fl.team or fl.rep) else None)
    return Report(
        name=NAME,
        title=TITLE,
        description=DESCRIPTION,
        now=now,
        date_from=win.date_from,
        date_to=win.date_to,
        filters=ctx.described_filters(),
        tables=[by_reason, reps, team_table, campaign_table, month_table],
        chart=Chart(
            kind="columns",
            title="Reasons given per month",
            bars=chart_bars,
            value_axis="Reasons given",
            category_axis="Month",
        ),
        notes=[
            "Counts reasons given (a lead rejected twice counts twice); the list behind a "
            "number shows each lead once.",
            f"{plural(sum(1 for f in flags if f.flagged), 'training flag')}.",
        ],
    )
