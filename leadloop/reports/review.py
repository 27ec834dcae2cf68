"""The monthly review pack (seed 000): one section per team pair for the monthly
meeting of a teleprospecting team and a sales team it feeds.

A team pair is one "feeds" link: a teleprospecting team T and a sales team S.
Its section holds that month's SLA compliance (T's inside SLAs on T's leads,
S's SLAs on T's leads), S's sales accountability on T's leads, the reasons
given on T's leads with the training flags, and every lead T handed to S in
the month with what became of it by now. Each part is the same report the
app shows, filtered to the pair and the month, so the pack and the pages agree.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import F

from leadloop.accounts.choices import TeamKind
from leadloop.accounts.models import Team
from leadloop.accounts.selectors import relevant_team_ids
from leadloop.handoff.models import Handoff
from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead
from leadloop.lib.words import plural
from leadloop.reports import reasons, sales, sla
from leadloop.reports.common import Ctx
from leadloop.reports.filters import ReportFilters
from leadloop.reports.result import Cell, Chart, Column, Table
from leadloop.reports.scope import NotAllowed, Viewer
from leadloop.scoring import selectors as scoring_selectors

MONTH = re.compile(r"(\d{4})-(\d{2})")


class PackError(ValueError):
    """A month or team pair the pack cannot be made for (the message says why)."""


@dataclass(frozen=True)
class Pair:
    tele: Team
    sales: Team

    @property
    def name(self) -> str:
        return f"{self.tele.name} / {self.sales.name}"

    @property
    def key(self) -> str:
        return f"{self.tele.pk}-{self.sales.pk}"


@dataclass
class Section:
    pair: Pair
    tables: list[Table]
    notes: list[str] = field(default_factory=list)
    # The report pages' charts for the pair and month, and what changed since the
    # month before, in a paragraph.
    charts: list[Chart] = field(default_factory=list)
    summary: str = ""


@dataclass(frozen=True)
class Figures:
    """A pair's headline figures for one month: what the summary compares."""

    handoffs: int
    inside_sla: float | None
    sales_sla: float | None
    feedback: float | None


def _total(table: Table, key: str) -> float | None:
    cell = (table.total or {}).get(key)
    return float(cell.value) if cell is not None and cell.value is not None else None


def _handoff_count(ctx: Ctx, pair: Pair) -> int:
    qs = ctx.visible(Handoff.objects.all(), "lead__").filter(
        lead__team_id=pair.tele.pk, to_rep__team_id=pair.sales.pk
    )
    return qs.filter(ctx.window.q("created_at")).count()


def figures(viewer: Viewer, pair: Pair, month: date, now: datetime) -> Figures:
    """The headline figures of `pair` in `month`, from the same reports as the section."""
    common: dict[str, Any] = {
        "date_from": month,
        "date_to": month_end(month),
        "lead_team": pair.tele.pk,
    }
    inside = sla.build(viewer, ReportFilters(team=pair.tele.pk, **common), now=now)
    sales_side = sla.build(viewer, ReportFilters(team=pair.sales.pk, **common), now=now)
    accountability = sales.build(viewer, ReportFilters(team=pair.sales.pk, **common), now=now)
    ctx = Ctx.make(viewer, ReportFilters(**common), now)
    return Figures(
        handoffs=_handoff_count(ctx, pair),
        inside_sla=_total(inside.table("by_kind"), "compliance"),
        sales_sla=_total(sales_side.table("by_kind"), "compliance"),
        feedback=_total(accountability.table("by_rep"), "feedback_rate"),
    )


def _pct(share: float | None) -> str:
    return "no clock" if share is None else f"{share * 100:.0f} %"


def _moved(now: float | None, before: float | None, month: str) -> str:
    if now is None or before is None:
        return f"{month}: {_pct(before)}"
    points = round((now - before) * 100)
    if points == 0:
        return f"the same as in {month}"
    return f"{'up' if points > 0 else 'down'} {abs(points)} points on {month}'s {_pct(before)}"


def summary(pair: Pair, month: date, now: Figures, before: Figures, flags: int) -> str:
    """One paragraph of what changed since the month before, for the meeting's opening."""
    last = (month - timedelta(days=1)).replace(day=1)
    this_name, last_name = f"{month:%B}", f"{last:%B}"
    more = now.handoffs - before.handoffs
    trend = (
        "as many as"
        if more == 0
        else f"{abs(more)} {'more' if more > 0 else 'fewer'} than the {before.handoffs} of"
    )
    return (
        f"In {this_name} {pair.tele.name} handed {plural(now.handoffs, 'lead')} to "
        f"{pair.sales.name}, {trend} {last_name}. "
        f"{pair.tele.name} met {_pct(now.inside_sla)} of its SLAs "
        f"({_moved(now.inside_sla, before.inside_sla, last_name)}); "
        f"{pair.sales.name} met {_pct(now.sales_sla)} "
        f"({_moved(now.sales_sla, before.sales_sla, last_name)}) and recorded feedback on "
        f"{_pct(now.feedback)} of the leads it received "
        f"({_moved(now.feedback, before.feedback, last_name)}). "
        f"{plural(flags, 'training flag').capitalize()} this month."
    )


@dataclass
class Pack:
    month: date
    now: datetime
    sections: list[Section]

    @property
    def title(self) -> str:
        return f"Monthly review {self.month:%B %Y}"


def parse_month(text: str) -> date:
    match = MONTH.fullmatch(text.strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise PackError(f"month '{text}' is not YYYY-MM, e.g. 2026-10")
    return date(int(match[1]), int(match[2]), 1)


def month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def all_pairs(viewer: Viewer) -> list[Pair]:
    """Every feeds link the reader may review: a manager the pairs with one of her teams."""
    links = Team.feeds.through.objects.select_related("from_team", "to_team").order_by(
        "from_team__name", "to_team__name"
    )
    allowed = relevant_team_ids(viewer.user) if viewer.user is not None else None
    pairs = []
    for row in links:
        tele, sales_team = row.from_team, row.to_team
        if tele.kind != TeamKind.TELEPROSPECTING or sales_team.kind != TeamKind.SALES:
            continue
        if allowed is not None and not ({tele.pk, sales_team.pk} & allowed):
            continue
        pairs.append(Pair(tele, sales_team))
    return pairs


def find_pairs(viewer: Viewer, name: str | None) -> list[Pair]:
    """The pairs `name` means: a pair's "TELE / SALES" name or key, or one team's name (all
    its pairs); None means every pair the reader may review."""
    pairs = all_pairs(viewer)
    if not name:
        return pairs
    wanted = name.strip().lower()
    exact = [p for p in pairs if wanted in (p.name.lower(), p.key)]
    if exact:
        return exact
    parts = [x.strip() for x in re.split(r"\s*(?:/|->|→|\+)\s*", wanted) if x.strip()]
    by_team = [
        p
        for p in pairs
        if all(part in (p.tele.name.lower(), p.sales.name.lower()) for part in parts)
    ]
    if by_team:
        return by_team
    known = "; ".join(p.name for p in pairs) or "none"
    raise PackError(f"no team pair '{name}' you may review; pairs: {known}")


HANDOFF_COLUMNS = [
    Column("handed_off_at", "Handed off", "text"),
    Column("lead", "Lead", "text"),
    Column("company", "Company", "text"),
    Column("inside_rep", "Inside rep", "text"),
    Column("sales_rep", "Sales rep", "text"),
    Column("campaign", "Campaign", "text"),
    Column("stage", "Now", "text"),
    Column("reason", "Reason", "text"),
    Column("amount", "Pipeline", "money"),
    Column("revenue", "Won", "money"),
]


def handoff_table(ctx: Ctx, pair: Pair) -> Table:
    """Every lead the pair's teleprospecting team handed to its sales team in the month."""
    win = ctx.window
    qs = ctx.visible(Handoff.objects.all(), "lead__").filter(
        lead__team_id=pair.tele.pk, to_rep__team_id=pair.sales.pk
    )
    qs = qs.filter(win.q("created_at"))
    rows = (
        qs.order_by("created_at", "id")
        .annotate(
            first=F("lead__first_name"),
            last=F("lead__last_name"),
            email=F("lead__email"),
            company=F("lead__company"),
            stage=F("lead__stage"),
            reason=F("lead__reason_code__label"),
            amount=F("lead__amount"),
            revenue=F("lead__revenue"),
            campaign=F("lead__campaign__name"),
            inside_first=F("from_rep__first_name"),
            inside_last=F("from_rep__last_name"),
            inside_user=F("from_rep__username"),
            sales_first=F("to_rep__first_name"),
            sales_last=F("to_rep__last_name"),
            sales_user=F("to_rep__username"),
        )
        .values(
            "lead_id",
            "created_at",
            "first",
            "last",
            "email",
            "company",
            "stage",
            "reason",
            "amount",
            "revenue",
            "campaign",
            "inside_first",
            "inside_last",
            "inside_user",
            "sales_first",
            "sales_last",
            "sales_user",
        )
    )
    labels = dict(Stage.choices)
    base = {"team": str(pair.tele.pk), "handoff_team": str(pair.sales.pk), **win.link("handoff")}
    table = Table(
        key="handoffs",
        title=f"Leads handed off in {win.date_from:%B %Y}" if win.date_from else "Leads handed off",
        columns=HANDOFF_COLUMNS,
        note="Their stage, reason, pipeline and revenue as of the pack's date.",
    )
    stage_counts: dict[str, int] = {}
    for r in rows:
        name = f"{r['first']} {r['last']}".strip() or r["email"] or f"lead {r['lead_id']}"
        inside = f"{r['inside_first']} {r['inside_last']}".strip() or r["inside_user"]
        sales_rep = f"{r['sales_first']} {r['sales_last']}".strip() or r["sales_user"]
        stage_counts[r["stage"]] = stage_counts.get(r["stage"], 0) + 1
        when = r["created_at"].astimezone(ctx.viewer.tz)
        table.rows.append(
            {
                "handed_off_at": Cell(f"{when:%Y-%m-%d %H:%M}"),
                "lead": Cell(name, href=f"/leads/{r['lead_id']}/"),
                "company": Cell(r["company"]),
                "inside_rep": Cell(inside),
                "sales_rep": Cell(sales_rep),
                "campaign": Cell(r["campaign"]),
                "stage": Cell(str(labels.get(r["stage"], r["stage"]))),
                "reason": Cell(r["reason"] or ""),
                "amount": Cell(r["amount"] if r["stage"] == Stage.OPPORTUNITY else None),
                "revenue": Cell(r["revenue"] if r["stage"] == Stage.WON else None),
            }
        )
    table.total = {
        "handed_off_at": Cell(plural(len(table.rows), "lead"), base),
        "stage": Cell(
            ", ".join(
                f"{labels.get(s, s)} {n}"
                for s, n in sorted(stage_counts.items(), key=lambda kv: -kv[1])
            )
        ),
    }
    return table


def _flags_only(table: Table) -> Table:
    flagged = [r for r in table.rows if r["flag"].value]
    return Table(
        key="training_flags",
        title="Training flags",
        columns=table.columns,
        rows=flagged,
        note=table.note,
    )


SCORING_COLUMNS = [
    Column("tier", "Tier", "text"),
    Column("leads", "Leads closed", "int"),
    Column("predicted", "Predicted", "pct", "The model's mean probability of its target."),
    Column("observed", "Observed", "pct", "The share that reached the target."),
]


def scoring_table(ctx: Ctx, pair: Pair) -> Table:
    """The active scoring model over the month: the pair's leads that closed in it and
    were scored by that model, predicted against observed per tier, and its Brier score."""
    model = scoring_selectors.active_model()
    table = Table("scoring", "Scoring model accuracy", SCORING_COLUMNS)
    if model is None:
        table.note = "No scoring model is active."
        return table
    leads = ctx.visible(Lead.objects.all()).filter(
        ctx.window.q("closed_at"),
        team_id=pair.tele.pk,
        stage__in=scoring_selectors.OUTCOME_STAGES,
        scored__score_model=model.version,
        scored__score_probability__isnull=False,
    )
    rows = list(
        leads.annotate(
            positive=scoring_selectors.flag(scoring_selectors.outcome_filter(model.target))
        ).values_list("scored__tier", "scored__score_probability", "positive")
    )
    by_tier: dict[str, list[tuple[float, int]]] = {}
    for tier, p, positive in rows:
        by_tier.setdefault(tier or "-", []).append((float(p), int(bool(positive))))
    for tier in sorted(by_tier):
        cells = by_tier[tier]
        table.rows.append(
            {
                "tier": Cell(tier),
                "leads": Cell(len(cells)),
                "predicted": Cell(sum(p for p, _ in cells) / len(cells)),
                "observed": Cell(sum(y for _, y in cells) / len(cells)),
            }
        )
    if rows:
        brier = sum((float(p) - int(bool(y))) ** 2 for _, p, y in rows) / len(rows)
        table.total = {
            "tier": Cell("All"),
            "leads": Cell(len(rows)),
            "predicted": Cell(sum(float(p) for _, p, _ in rows) / len(rows)),
            "observed": Cell(sum(int(bool(y)) for _, _, y in rows) / len(rows)),
        }
        table.note = (
            f"Model v{model.version} ({model.get_target_display().lower()}), applied "
            f"{model.applied_at:%Y-%m-%d}: Brier score {brier:.3f} over {len(rows)} leads "
            "closed this month (lower is better)."
        )
    else:
        table.note = f"No lead scored by model v{model.version} closed this month."
    return table


def build_section(viewer: Viewer, pair: Pair, month: date, now: datetime) -> Section:
    common: dict[str, Any] = {
        "date_from": month,
        "date_to": month_end(month),
        "lead_team": pair.tele.pk,
    }
    inside = sla.build(viewer, ReportFilters(team=pair.tele.pk, **common), now=now)
    sales_side = sla.build(viewer, ReportFilters(team=pair.sales.pk, **common), now=now)
    inside_sla = inside.table("by_kind")
    inside_sla.key, inside_sla.title = "inside_sla", f"SLA compliance: {pair.tele.name}"
    sales_sla = sales_side.table("by_kind")
    sales_sla.key, sales_sla.title = "sales_sla", f"SLA compliance: {pair.sales.name}"
    accountability = sales.build(viewer, ReportFilters(team=pair.sales.pk, **common), now=now)
    per_rep = accountability.table("by_rep")
    per_rep.key, per_rep.title = "accountability", f"Sales accountability: {pair.sales.name}"
    outcomes = accountability.table("outcomes")
    outcomes.key = "sales_outcomes"
    why = reasons.build(viewer, ReportFilters(**common), now=now)
    by_reason = why.table("by_reason")
    by_reason.key, by_reason.title = "reasons", "Reasons given"
    flags = _flags_only(why.table("by_rep"))
    ctx = Ctx.make(viewer, ReportFilters(**common), now)
    handoffs = handoff_table(ctx, pair)
    notes = [
        f"{plural(len(handoffs.rows), 'lead')} handed off from {pair.tele.name} "
        f"to {pair.sales.name}.",
        f"{plural(len(flags.rows), 'training flag')}.",
    ]
    this_month = Figures(
        handoffs=len(handoffs.rows),
        inside_sla=_total(inside_sla, "compliance"),
        sales_sla=_total(sales_sla, "compliance"),
        feedback=_total(per_rep, "feedback_rate"),
    )
    last_month = figures(viewer, pair, (month - timedelta(days=1)).replace(day=1), now)
    charts = [
        replace(chart, title=f"{title}: {chart.title[:1].lower()}{chart.title[1:]}")
        for chart, title in (
            (inside.chart, pair.tele.name),
            (sales_side.chart, pair.sales.name),
            (accountability.chart, pair.sales.name),
        )
        if chart is not None and chart.bars
    ]
    return Section(
        pair=pair,
        tables=[
            inside_sla,
            sales_sla,
            per_rep,
            outcomes,
            by_reason,
            flags,
            handoffs,
            scoring_table(ctx, pair),
        ],
        notes=notes,
        charts=charts,
        summary=summary(pair, month, this_month, last_month, len(flags.rows)),
    )


def build_pack(
    viewer: Viewer,
    *,
    month: date,
    now: datetime,
    pair: str | None = None,
    progress: Callable[[int, int, Pair], None] | None = None,
) -> Pack:
    """The pack for one pair (or one team's pairs), or a section per pair the reader may see."""
    if viewer.own_rep is not None:
        raise NotAllowed("The review pack is for managers, marketing and admins.")
    pairs = find_pairs(viewer, pair)
    if not pairs:
        raise PackError("there is no team pair (a teleprospecting team feeding a sales team)")
    sections = []
    for i, p in enumerate(pairs):
        if progress is not None:
            progress(i, len(pairs), p)
        sections.append(build_section(viewer, p, month, now))
    return Pack(month=month, now=now, sections=sections)
