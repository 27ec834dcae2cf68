"""`funnel`: stage-to-stage conversion and the median business time between
stages, overall and by channel, campaign, team or a lead attribute.

A cohort report like `campaigns`. A lead is in a step if it has the step's
event or any later one (`metrics.in_step`), so the steps only shrink. The
time between two steps is measured for the leads that have both events,
from the first of each, in business hours of the working team's calendar,
inside the database (`sqltime`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Count, F, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, Mod

from leadloop.accounts.models import Team
from leadloop.leads.choices import Action
from leadloop.leads.models import Lead, LeadEvent
from leadloop.reports import metrics, sqltime
from leadloop.reports.common import Ctx, campaigns, channel_label, rep_lead_field, team_names
from leadloop.reports.filters import BREAKDOWNS, ReportFilters
from leadloop.reports.result import Cell, Chart, Column, Report, Row, Table, bar, link
from leadloop.reports.scope import Viewer

NAME = "funnel"
TITLE = "Funnel"
DESCRIPTION = (
    "Stage-to-stage conversion and median business hours between stages for the leads "
    "that came in during the period, overall and by channel, campaign, team or attribute."
)
STEPS = metrics.STEPS
PAIRS = [(f"t_{a.key}", f"t_{b.key}") for a, b in itertools.pairwise(STEPS)]


def dimension(by: str) -> tuple[Any, Callable[[Any], str], Callable[[Any], dict[str, str]]]:
    """The SQL expression of a breakdown, how its values read, and their lead-list filter."""
    if by == "channel":
        return (
            F("campaign__channel"),
            channel_label,
            lambda v: {"channel": v},
        )
    if by == "campaign":
        names = campaigns()
        return (
            F("campaign_id"),
            lambda v: names.get(v, ("—", ""))[0],
            lambda v: {"campaign": str(v)},
        )
    if by == "team":
        teams = team_names()
        return F("team_id"), lambda v: teams.get(v, "—"), lambda v: {"team": str(v)}
    if by == "size":
        expr: Any = metrics.size_band_case()
    elif by.startswith(metrics.CUSTOM_PREFIX):
        expr = KeyTextTransform(by.removeprefix(metrics.CUSTOM_PREFIX), "attributes")
    else:
        expr = F(by)
    return (
        expr,
        lambda v: str(v) if v not in (None, "") else "unknown",
        lambda v: {"attr": f"{by}={v or ''}"},
    )


def _row(
    counts: dict[str, int],
    medians: dict[int, sqltime.Median],
    base: dict[str, str],
    every: int = 1,
) -> list[Row]:
    """One group's steps. "Leads timed" counts every lead with both instants,
    also when the first step's median was taken on every `every`-th of them."""
    rows: list[Row] = []
    first = counts.get("created", 0)
    previous = None
    for i, step in enumerate(STEPS):
        n = counts.get(step.key, 0)
        here = link(base, step=step.key) if i else dict(base)
        median = medians.get(i - 1) if i else None
        timed: int | None = None
        note = ""
        if i == 1:
            timed = counts.get("timed_worked", 0)
            if every > 1 and median is not None:
                note = f"median of {median.count:,} leads (every {every}th)"
        elif i > 1:
            timed = median.count if median else 0
        rows.append(
            {
                "step": Cell(step.label),
                "leads": Cell(n, here),
                "conversion": Cell(metrics.share(n, previous) if i else None, here),
                "of_all": Cell(metrics.share(n, first), here),
                "median_hours": Cell(median.hours if median else None, here, note=note),
                "timed": Cell(timed, here),
            }
        )
        previous = n
    return rows


COLUMNS = [
    Column("leads", "Leads", "int", "Leads that reached this step or a later one."),
    Column("conversion", "From previous step", "pct"),
    Column("of_all", "Of all leads", "pct"),
    Column(
        "median_hours",
        "Median business hours from previous step",
        "hours",
        "From the first event of the previous step to the first of this one.",
    ),
    Column("timed", "Leads timed", "int", "Leads with both events, behind the median."),
]


LATE = [s for s in STEPS if s.action]  # steps entered by a stage change


def _first_steps(cohort: QuerySet[Lead], group: Any, since: datetime | None) -> QuerySet[Any]:
    """Per qualified lead: its group, team, and the first instant of each step.

    Work starts at its first call or email (the lead's own column); only a
    lead that came back to the queue after a handoff, whose column was
    reset, asks its history for its first start of work. The later steps
    come from its history, through the index on (action, at, lead).
    """
    events = Q(events__action__in=[str(s.action) for s in LATE])
    if since is not None:
        events &= Q(events__at__gte=since)
    first_start = (
        LeadEvent.objects.filter(lead_id=OuterRef("id"), action=Action.START_WORK)
        .order_by("at")
        .values("at")[:1]
    )
    firsts = {"t_worked": Min(Coalesce(metrics.first_worked_at(), Subquery(first_start)))}
    firsts |= {f"t_{s.key}": Min("events__at", filter=Q(events__action=s.action)) for s in LATE}
    # Only handed-off leads have a later step (`metrics.in_step` asks the same
    # column first). Said here too, so PostgreSQL hashes the ~35,000 qualified
    # leads of the covering index rather than the whole cohort: at 1,000,000
    # leads the hash of all 1,000,000 was 0.6 s of this statement's 1.4 s.
    leads = cohort.filter(metrics.qualified()).filter(events)
    return leads.annotate(g=group).values("id", "team_id", "g").annotate(**firsts)


# The first step's median covers nearly every lead of the cohort; over more
# than this many it is taken on every k-th lead id (see docs/metrics.md).
SAMPLE = 50_000
# From every 100th lead on, looking the sample up by id beats reading them all.
# A lead row is ~400 bytes, ~20 to a page: a sample of every 20th lead looked
# up by id still reads every page of the table, at random; at 1,000,000 leads
# (step 20) the scan of the covering index `lead_created_cover` with the modulo
# took 1.9-2.4 s for the whole report against 2.4-3.0 s by lookups.
LOOKUP_STEP = 100


def sampled(rows: QuerySet[Any], first: int, last: int, step: int) -> QuerySet[Any]:
    """The rows whose lead id is first, first + step, ...: an even sample across the cohort.

    When the sample is a small part of the cohort, PostgreSQL looks the
    sampled ids up by primary key (a generated series), so it costs its size,
    not a scan of every lead; otherwise (and on SQLite) the scan keeps the
    same ids by a modulo.
    """
    if connection.vendor == "postgresql" and step >= LOOKUP_STEP:
        series = RawSQL(
            "SELECT generate_series(%s::bigint, %s::bigint, %s::bigint)", (first, last, step)
        )
        return rows.filter(id__in=series)
    return rows.annotate(slot=Mod(F("id") - first, step)).filter(slot=0)


def _medians(
    cohort: QuerySet[Lead],
    group: Any,
    since: datetime | None,
    first: date,
    last: date,
    every: tuple[int, int, int] | None,
) -> dict[tuple[Any, ...], sqltime.Median]:
    """Median business hours between consecutive steps, per group and overall.

    The first pair (came in -> first call or email) reads the leads' own
    columns, on the sample `every` (first id, last id, step) when given; the
    later pairs read the history of the few qualified leads, all of them.
    """
    teams = list(Team.objects.all())
    early_rows = cohort.annotate(
        g=group, t_created=F("created_at"), t_worked=metrics.first_worked_at()
    ).filter(t_worked__isnull=False)
    if every is not None:
        early_rows = sampled(early_rows, *every)
    early = sqltime.business_medians(
        early_rows.values("g", "team_id", "t_created", "t_worked"),
        groups=["g"],
        teams=teams,
        first=first,
        last=last,
        pairs=[PAIRS[0]],
        rollup=True,
    )
    out = {(*key, 0): m for key, m in early.items()}
    later = sqltime.business_medians(
        _first_steps(cohort, group, since),
        groups=["g"],
        teams=teams,
        first=first,
        last=last,
        pairs=PAIRS[1:],
        rollup=True,
    )
    out |= {(*key[:-1], key[-1] + 1): m for key, m in later.items()}
    return out


def build(viewer: Viewer, filters: ReportFilters, *, now: datetime) -> Report:
    ctx = Ctx.make(viewer, filters, now)
    fl, win = ctx.filters, ctx.window
    by = fl.by if fl.by in BREAKDOWNS else "channel"
    expr, label, dim_link = dimension(by)
    cohort = ctx.leads()
    base = {**ctx.lead_links(), **win.link("created")}
    cohort = cohort.filter(win.q("created_at"))
    if fl.rep:
        field = rep_lead_field(fl.rep)
        cohort = cohort.filter(**{f"{field}_id": fl.rep})
        base[field] = str(fl.rep)
    since = win.start
    step_counts: dict[str, Aggregate] = {
        s.key: Count("id", filter=metrics.in_step(s.key, since=since)) if i else Count("id")
        for i, s in enumerate(STEPS)
    }
    step_counts["timed_worked"] = Count("id", filter=metrics.worked_timed())
    step_counts["first_id"] = Min("id")
    step_counts["last_id"] = Max("id")
    per_group: dict[Any, dict[str, Any]] = {
        r["g"]: dict(r)
        for r in cohort.order_by().annotate(g=expr).values("g").annotate(**step_counts)
    }
    keys = [s.key for s in STEPS] + ["timed_worked"]
    overall = {k: sum(int(r[k]) for r in per_group.values()) for k in keys}
    first = (win.start or now - timedelta(days=metrics.DEFAULT_DAYS)).date() - timedelta(days=1)
    sample: tuple[int, int, int] | None = None
    if overall["timed_worked"] > SAMPLE:
        lo = min(r["first_id"] for r in per_group.values())
        hi = max(r["last_id"] for r in per_group.values())
        sample = (lo, hi, -(-(hi - lo + 1) // SAMPLE))
    every = sample[2] if sample else 1
    medians = _medians(cohort, expr, since, first, now.date() + timedelta(days=1), sample)

    steps_table = Table(
        key="steps",
        title="All leads",
        columns=[Column("step", "Step", "text"), *COLUMNS],
    )
    steps_table.rows = _row(
        overall, {i: m for (g, i), m in medians.items() if g == sqltime.ALL}, base, every
    )
    by_table = Table(
        key="by_group",
        title=f"By {BREAKDOWNS[by].lower()}",
        columns=[Column("group", BREAKDOWNS[by], "text"), Column("step", "Step", "text"), *COLUMNS],
    )
    for g in sorted(per_group, key=lambda v: label(v).lower()):
        mine = {i: m for (key, i), m in medians.items() if key == g}
        for row in _row(per_group[g], mine, link(base, **dim_link(g)), every):
            by_table.rows.append({"group": Cell(label(g)), **row})
    chart = Chart(
        kind="bars",
        title="Leads reaching each step",
        value_axis="Leads",
        category_axis="Step",
        bars=[bar(r, "step", "leads") for r in steps_table.rows],
    )
    return Report(
        name=NAME,
        title=TITLE,
        description=DESCRIPTION,
        now=now,
        date_from=win.date_from,
        date_to=win.date_to,
        filters=ctx.described_filters() | {"by": by},
        tables=[steps_table, by_table],
        chart=chart,
        notes=[
            "A lead is in a step if it reached it or any later one; a lead that skipped a "
            "step (e.g. won without an opportunity) still counts in it.",
            "Business hours on the calendar of the team working the lead.",
            *(
                [
                    f"The first step's median is taken on every {every}th lead id "
                    f"(of {overall['timed_worked']:,} leads); the later steps' on all of them."
                ]
                if every > 1
                else []
            ),
        ],
    )
