"""`teleprospectors`: per inside rep, her outreach and what became of the leads she
qualified (seeds 000 and 001): dials, emails, connects, dials per qualified
lead, qualified leads per week, acceptance by sales, the outcome mix of her
handed-off leads, her disqualification and rejection reasons next to the
team's, and the share of her handed-off leads that did not respond to sales'
follow-up (seed 001's training signal).

A cohort report: the leads that came in during the period. Outreach is read
from each lead's own lifetime attempt counters (dials, emails, connects, kept
at write time) under its inside rep, and the handoff numbers
from the leads she handed off, so one scan of the leads answers it; reading
ten million activities would not fit the one-second budget.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum

from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead
from leadloop.reports import metrics, reasons
from leadloop.reports.common import Ctx, team_names, user_names, user_teams
from leadloop.reports.filters import ReportFilters
from leadloop.reports.result import Cell, Chart, Column, Report, Row, Table, bar, link
from leadloop.reports.sales import outcome_table
from leadloop.reports.scope import Viewer

NAME = "teleprospectors"
TITLE = "Teleprospector results"
DESCRIPTION = (
    "Per inside rep, for the leads that came in during the period: dials, emails and "
    "connects, dials per qualified lead, qualified leads per week, acceptance by sales, "
    "what her handed-off leads became, her reasons next to her team's, and how many of "
    "her leads did not respond to sales."
)

COLUMNS = [
    Column("rep", "Inside rep", "text"),
    Column("team", "Team", "text"),
    Column("leads", "Leads", "int", "Leads she owns that came in during the period."),
    Column("dials", "Dials", "int", "On her leads, over their whole life (recycled too)."),
    Column("emails", "Emails", "int", "Personal emails sent (bounced included)."),
    Column("connects", "Connects", "int", "Connected calls, replies, held meetings."),
    Column("qualified", "Qualified", "int", "Leads she handed off."),
    Column("dials_per_qualified", "Dials per qualified", "ratio"),
    Column("qualified_per_week", "Qualified per week", "ratio"),
    Column("accepted", "Accepted by sales", "int"),
    Column("rejected", "Rejected by sales", "int", "Rejected and never accepted."),
    Column("acceptance", "Acceptance rate", "pct", "Accepted / (accepted + rejected)."),
    Column(
        "no_response",
        "No response to sales",
        "int",
        "No-show and the cadence ran out, or lost as unresponsive.",
    ),
    Column("no_response_share", "No response share", "pct", "Of the leads she handed off."),
]
SUMS = ("n", "dials", "emails", "connects", "accepted", "rejected", "quiet")


def _cohort(ctx: Ctx) -> QuerySet[Lead]:
    """The leads that came in during the window, as the reader may see them.

    Not narrowed to the `rep` filter: her team's numbers stand next to hers,
    and the rows are few enough to pick hers afterwards.
    """
    win = ctx.window
    leads = ctx.leads()
    leads = leads.filter(win.q("created_at"))
    return leads


def _cohort_rows(ctx: Ctx) -> list[dict[str, Any]]:
    """(owner, handed off by, stage, reason, team) -> counts and sums over the cohort."""
    since = ctx.window.start
    handed = metrics.qualified()
    return [
        dict(r)
        for r in _cohort(ctx)
        .order_by()
        .values("owner_id", "handed_off_by_id", "stage", "reason_code_id", "team_id")
        .annotate(
            n=Count("id"),
            dials=Sum("dials"),
            emails=Sum("emails"),
            connects=Sum("connects"),
            # The history is only asked about leads that were handed off at all.
            accepted=Count("id", filter=handed & metrics.in_step("accepted", since=since)),
            rejected=Count("id", filter=handed & metrics.sales_rejected()),
            quiet=Count("id", filter=handed & metrics.no_response(since=since)),
            amount=Sum("amount", filter=metrics.open_pipeline()),
            revenue=Sum("revenue", filter=metrics.won()),
        )
    ]


def _reason_counts(ctx: Ctx, rows: list[dict[str, Any]]) -> reasons.Counts:
    """The cohort's disqualifications (from the rows) and rejections (from the history)."""
    out = [
        {
            "stage": r["stage"],
            "reason": r["reason_code_id"],
            "rep": r["owner_id"],
            "team": r["team_id"],
            "campaign": None,
            "month": None,
            "n": int(r["n"]),
        }
        for r in rows
        if r["stage"] == Stage.DISQUALIFIED and r["reason_code_id"] is not None
    ]
    rejections = (
        metrics.reason_events(stage=Stage.REJECTED)
        .filter(lead_id__in=_cohort(ctx).values("id"))
        .order_by()
        .values("reason_code_id", "lead__handed_off_by_id", "lead__team_id")
        .annotate(n=Count("id"))
    )
    out += [
        {
            "stage": Stage.REJECTED.value,
            "reason": r["reason_code_id"],
            "rep": r["lead__handed_off_by_id"],
            "team": r["lead__team_id"],
            "campaign": None,
            "month": None,
            "n": int(r["n"]),
        }
        for r in rejections
    ]
    return reasons.Counts(out)


def build(viewer: Viewer, filters: ReportFilters, *, now: datetime) -> Report:
    ctx = Ctx.make(viewer, filters, now)
    fl, win = ctx.filters, ctx.window
    rows = _cohort_rows(ctx)
    owned: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SUMS, 0))
    handed: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SUMS, 0))
    fates: dict[tuple[int, str], dict[str, Any]] = {}
    for r in rows:
        if r["owner_id"] is not None:
            for k in ("n", "dials", "emails", "connects"):
                owned[r["owner_id"]][k] += int(r[k] or 0)
        rep = r["handed_off_by_id"]
        if rep is not None:
            for k in ("n", "accepted", "rejected", "quiet"):
                handed[rep][k] += int(r[k] or 0)
            fate = fates.setdefault(
                (rep, r["stage"]), {"n": 0, "amount": Decimal(0), "revenue": Decimal(0)}
            )
            fate["n"] += int(r["n"])
            fate["amount"] += r["amount"] or 0
            fate["revenue"] += r["revenue"] or 0
    reps = {r for r in (set(owned) | set(handed)) if fl.rep is None or r == fl.rep}
    names = user_names(reps)
    teams_of = user_teams(reps)
    team_label = team_names(teams_of.values())
    end = min(win.end, now) if win.end else now
    weeks = metrics.weeks(win.start, end) if win.start else None
    base = {**ctx.lead_links(), **win.link("created")}

    def cells(rep: int | None, o: dict[str, int], h: dict[str, int]) -> Row:
        mine = link(base, owner=rep)
        hers = link(base, handed_off_by=rep, step="qualified")
        qualified, accepted, rejected = h["n"], h["accepted"], h["rejected"]
        quiet = h["quiet"]
        return {
            "leads": Cell(o["n"], mine),
            "dials": Cell(o["dials"], mine),
            "emails": Cell(o["emails"], mine),
            "connects": Cell(o["connects"], mine),
            "qualified": Cell(qualified, hers),
            "dials_per_qualified": Cell(metrics.share(o["dials"], qualified), hers),
            "qualified_per_week": Cell(metrics.share(qualified, weeks), hers),
            "accepted": Cell(accepted, link(hers, answer="accepted")),
            "rejected": Cell(
                rejected, link(hers, answer="rejected"), tone="bad" if rejected else ""
            ),
            "acceptance": Cell(
                metrics.share(accepted, accepted + rejected), link(hers, answer="accepted")
            ),
            "no_response": Cell(quiet, link(hers, no_response="1"), tone="bad" if quiet else ""),
            "no_response_share": Cell(metrics.share(quiet, qualified), link(hers, no_response="1")),
        }

    table = Table(key="by_rep", title="By inside rep", columns=COLUMNS)
    total_owned, total_handed = dict.fromkeys(SUMS, 0), dict.fromkeys(SUMS, 0)
    for rep in sorted(reps, key=lambda r: names.get(r, "").lower()):
        o, h = owned.get(rep, dict.fromkeys(SUMS, 0)), handed.get(rep, dict.fromkeys(SUMS, 0))
        for k in SUMS:
            total_owned[k] += o[k]
            total_handed[k] += h[k]
        table.rows.append(
            {
                "rep": Cell(names.get(rep, "—")),
                "team": Cell(team_label.get(teams_of.get(rep) or 0, "—")),
                **cells(rep, o, h),
            }
        )
    table.total = {"rep": Cell("All"), "team": Cell(""), **cells(None, total_owned, total_handed)}
    if fl.rep is None:
        # Leads nobody owns (no active rep when they came in) count in the total only.
        unowned = sum(int(r["n"]) for r in rows if r["owner_id"] is None)
        if unowned:
            table.note = f"{unowned} lead(s) without an inside rep count in the total only."

    outcomes = outcome_table(
        {k: v for k, v in fates.items() if k[0] in reps},
        names,
        base,
        rep_param="handed_off_by",
        key="outcomes",
        title="What each rep's handed-off leads became",
        rep_label="Inside rep",
    )
    # Her reasons next to her team's, on the same leads (a rep reading her own
    # report sees only her own leads, so her team's column is hers).
    items = [
        i
        for i in reasons.rep_reasons(
            _reason_counts(ctx, rows), stages=(Stage.DISQUALIFIED, Stage.REJECTED)
        )
        if fl.rep is None or i.rep == fl.rep
    ]
    reason_table = reasons.rep_table(
        ctx,
        items,
        base=base,
        key="reasons",
        title="Each rep's disqualification and rejection reasons next to the team's",
    )
    chart = Chart(
        kind="bars",
        title="Qualified leads per week, by inside rep",
        unit="ratio",
        value_axis="Leads qualified per week",
        category_axis="Inside rep",
        bars=[bar(row, "rep", "qualified_per_week") for row in table.rows],
    )
    return Report(
        name=NAME,
        title=TITLE,
        description=DESCRIPTION,
        now=now,
        date_from=win.date_from,
        date_to=win.date_to,
        filters=ctx.described_filters(),
        tables=[table, outcomes, reason_table],
        chart=chart,
        notes=[
            "The leads that came in during the period: outreach under the rep who owns "
            "each lead, qualification and its fate under the rep who handed it off.",
            "Qualified per week: qualified leads / the weeks of the period up to now.",
        ],
    )
