"""`sales-accountability`: per sales rep, what she did with the leads handed to her
(seed 002: "by tracking which reps give us the highest percentage of feedback,
our clients can even determine who to assign future opportunities to").

Built on the sales side's SLA clocks, one per handoff: the accept clock
(accepted, rejected, answered on time, business hours to accept), the
meeting-outcome clock and the feedback clock, for clocks that started in the
period; on the follow-up cadence's steps due in the period (done on time,
late, skipped); and on the leads handed to her in the period for outcomes
and pipeline.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from leadloop.accounts.models import Team
from leadloop.followup.models import CadenceTask
from leadloop.handoff.models import Handoff
from leadloop.leads.choices import Action, Stage
from leadloop.reports import metrics, sqltime
from leadloop.reports.common import Ctx, team_names, user_names, user_teams
from leadloop.reports.filters import ReportFilters
from leadloop.reports.result import Cell, Chart, Column, Report, Row, Table, bar, link
from leadloop.reports.scope import Viewer
from leadloop.reports.sqlagg import distinct_pairs_by, flag
from leadloop.sla.choices import ClockKind
from leadloop.sla.models import SlaClock

NAME = "sales-accountability"
TITLE = "Sales accountability"
DESCRIPTION = (
    "Per sales rep, for handoffs received in the period: accepted and rejected, median "
    "business hours to accept, meeting outcomes recorded on time, feedback rate and "
    "overdue feedback, and the outcomes and pipeline of the leads."
)
SALES_KINDS = (ClockKind.ACCEPT, ClockKind.MEETING_OUTCOME, ClockKind.FEEDBACK)
# The fates of handed-off leads, in the order a sales manager reads them.
OUTCOME_STAGES = [
    Stage.HANDED_OFF,
    Stage.ACCEPTED,
    Stage.MEETING_HELD,
    Stage.NO_SHOW,
    Stage.NURTURE,
    Stage.OPPORTUNITY,
    Stage.WON,
    Stage.LOST,
    Stage.DISQUALIFIED_BY_SALES,
    Stage.REJECTED,
    Stage.RECYCLED,
]


def sales_clocks(ctx: Ctx) -> QuerySet[SlaClock]:
    """The sales side's clocks that started in the window, as the reader may see them."""
    fl, win = ctx.filters, ctx.window
    qs = ctx.about_leads(SlaClock.objects.filter(kind__in=SALES_KINDS))
    qs = qs.filter(metrics.clock_counted(ctx.now))
    qs = qs.filter(win.q("started_at"))
    if fl.team:
        qs = qs.filter(team_id=fl.team)
    if fl.rep:
        qs = qs.filter(user_id=fl.rep)
    return qs.order_by()


def handoff_fates(ctx: Ctx, rep_field: str) -> dict[tuple[int, str], dict[str, Any]]:
    """Per (rep, current stage): the distinct leads handed off in the window, with
    their pipeline and won revenue, and how many did not respond to follow-up.

    `rep_field` is "to_rep" (sales) or "from_rep" (inside). A lead handed to the
    same rep twice counts once.
    """
    fl, win = ctx.filters, ctx.window
    qs = ctx.about_leads(Handoff.objects.all())
    qs = qs.filter(win.q("created_at"))
    if fl.rep:
        qs = qs.filter(**{f"{rep_field}_id": fl.rep})
    if fl.team:
        qs = qs.filter(**{f"{rep_field}__team_id": fl.team})
    pairs = qs.annotate(
        rep=F(f"{rep_field}_id"),
        lid=F("lead_id"),
        stage=F("lead__stage"),
        amount=F("lead__amount"),
        revenue=F("lead__revenue"),
        quiet=flag(metrics.no_response(prefix="lead__")),
    ).values("rep", "lid", "stage", "amount", "revenue", "quiet")
    rows = distinct_pairs_by(pairs, group=["rep", "stage"], sums=["amount", "revenue", "quiet"])
    return {(r["rep"], r["stage"]): r for r in rows}


COLUMNS = [
    Column("rep", "Sales rep", "text"),
    Column("team", "Team", "text"),
    Column("received", "Received", "int", "Handoffs received in the period."),
    Column("accepted", "Accepted", "int"),
    Column("rejected", "Rejected", "int"),
    Column("waiting", "Not answered", "int", "Neither accepted nor rejected yet."),
    Column("answered_on_time", "Answered on time", "pct", "Accept clocks met / answered or late."),
    Column(
        "median_accept_hours",
        "Median hours to accept",
        "hours",
        "Business hours from handoff to acceptance, on the sales team's calendar.",
    ),
    Column("meetings_on_time", "Meeting outcomes on time", "int"),
    Column("meetings_late", "Meeting outcomes late", "int"),
    Column(
        "meetings_on_time_share", "Share of meeting outcomes on time", "pct", "Met / (met + late)."
    ),
    Column("feedback_given", "Feedback given", "int", "An outcome recorded (incl. rejection)."),
    Column("feedback_rate", "Feedback rate", "pct", "Handoffs with an outcome / all handoffs."),
    Column("feedback_overdue", "Feedback overdue", "int", "No outcome yet and past due, now."),
    Column(
        "steps_on_time",
        "Cadence steps on time",
        "int",
        "Follow-up steps done by the close of their business day.",
    ),
    Column(
        "steps_missed", "Cadence steps late or skipped", "int", "Done late, overdue, or skipped."
    ),
    Column(
        "steps_on_time_share", "Share of cadence steps on time", "pct", "On time / all steps due."
    ),
]
COUNT_KEYS = (
    "received",
    "accepted",
    "rejected",
    "waiting",
    "accept_met",
    "accept_late",
    "meetings_on_time",
    "meetings_late",
    "feedback_total",
    "feedback_given",
    "feedback_overdue",
    "steps_on_time",
    "steps_late",
    "steps_skipped",
)


def _clock_counts(ctx: Ctx) -> dict[int | None, dict[str, int]]:
    now = ctx.now
    rows = (
        sales_clocks(ctx)
        .values("user_id")
        .annotate(
            received=Count("id", filter=Q(kind=ClockKind.ACCEPT)),
            accepted=Count("id", filter=Q(kind=ClockKind.ACCEPT, stopped_by=Action.ACCEPT)),
            rejected=Count("id", filter=Q(kind=ClockKind.ACCEPT, stopped_by=Action.REJECT)),
            waiting=Count("id", filter=Q(kind=ClockKind.ACCEPT, stopped_at__isnull=True)),
            accept_met=Count("id", filter=Q(kind=ClockKind.ACCEPT) & metrics.clock_met(now)),
            accept_late=Count("id", filter=Q(kind=ClockKind.ACCEPT) & metrics.clock_late(now)),
            meetings_on_time=Count(
                "id", filter=Q(kind=ClockKind.MEETING_OUTCOME) & metrics.clock_met(now)
            ),
            meetings_late=Count(
                "id", filter=Q(kind=ClockKind.MEETING_OUTCOME) & metrics.clock_late(now)
            ),
            feedback_total=Count("id", filter=Q(kind=ClockKind.FEEDBACK)),
            feedback_given=Count(
                "id", filter=Q(kind=ClockKind.FEEDBACK) & metrics.clock_answered(now)
            ),
            feedback_overdue=Count(
                "id", filter=Q(kind=ClockKind.FEEDBACK) & metrics.clock_open_late(now)
            ),
        )
    )
    out: dict[int | None, dict[str, int]] = {}
    for r in rows:
        row: dict[str, Any] = dict(r)
        out[row["user_id"]] = {k: int(row.get(k) or 0) for k in COUNT_KEYS}
    for user, steps in _step_counts(ctx).items():
        out.setdefault(user, dict.fromkeys(COUNT_KEYS, 0)).update(steps)
    return out


def _step_counts(ctx: Ctx) -> dict[int | None, dict[str, int]]:
    """Per sales rep: cadence steps due in the window, on time, late and skipped."""
    fl, win, now = ctx.filters, ctx.window, ctx.now
    qs = ctx.about_leads(CadenceTask.objects.all())
    qs = qs.filter(due_at__lt=now)  # a step not yet due counts for nobody
    qs = qs.filter(win.q("due_at"))
    if fl.team:
        qs = qs.filter(run__team_id=fl.team)
    if fl.rep:
        qs = qs.filter(assignee_id=fl.rep)
    rows = (
        qs.order_by()
        .values("assignee_id")
        .annotate(
            steps_on_time=Count("id", filter=metrics.step_on_time()),
            steps_late=Count("id", filter=metrics.step_late(now)),
            steps_skipped=Count("id", filter=metrics.step_skipped()),
        )
    )
    return {
        r["assignee_id"]: {
            "steps_on_time": int(r["steps_on_time"]),
            "steps_late": int(r["steps_late"]),
            "steps_skipped": int(r["steps_skipped"]),
        }
        for r in rows
    }


def _cells(c: dict[str, int], median: sqltime.Median | None, clock: dict[str, str]) -> Row:
    accept = link(clock, sla=ClockKind.ACCEPT)
    meeting = link(clock, sla=ClockKind.MEETING_OUTCOME)
    feedback = link(clock, sla=ClockKind.FEEDBACK)
    answered = c["accept_met"] + c["accept_late"]
    meetings = c["meetings_on_time"] + c["meetings_late"]
    late_meetings, overdue = c["meetings_late"], c["feedback_overdue"]
    missed = c["steps_late"] + c["steps_skipped"]
    # Cadence steps link by their rep (the clock's user) and the report's moment.
    steps = {k: v for k, v in clock.items() if k in ("as_of", "team", "campaign", "channel")}
    if "sla_user" in clock:
        steps["cadence_user"] = clock["sla_user"]
    return {
        "received": Cell(c["received"], link(accept, sla_result="counted")),
        "accepted": Cell(c["accepted"], link(accept, sla_stop=Action.ACCEPT)),
        "rejected": Cell(c["rejected"], link(accept, sla_stop=Action.REJECT)),
        "waiting": Cell(c["waiting"], link(accept, sla_result="open")),
        "answered_on_time": Cell(
            metrics.share(c["accept_met"], answered), link(accept, sla_result="met")
        ),
        "median_accept_hours": Cell(
            median.hours if median else None, link(accept, sla_stop=Action.ACCEPT)
        ),
        "meetings_on_time": Cell(c["meetings_on_time"], link(meeting, sla_result="met")),
        "meetings_late": Cell(
            late_meetings, link(meeting, sla_result="late"), tone="bad" if late_meetings else ""
        ),
        "meetings_on_time_share": Cell(
            metrics.share(c["meetings_on_time"], meetings), link(meeting, sla_result="counted")
        ),
        "feedback_given": Cell(c["feedback_given"], link(feedback, sla_result="answered")),
        "feedback_rate": Cell(
            metrics.share(c["feedback_given"], c["feedback_total"]),
            link(feedback, sla_result="counted"),
        ),
        "feedback_overdue": Cell(
            overdue, link(feedback, sla_result="open_late"), tone="bad" if overdue else ""
        ),
        "steps_on_time": Cell(c["steps_on_time"], link(steps, cadence="on_time")),
        "steps_missed": Cell(missed, link(steps, cadence="missed"), tone="bad" if missed else ""),
        "steps_on_time_share": Cell(
            metrics.share(c["steps_on_time"], c["steps_on_time"] + missed), steps
        ),
    }


OUTCOME_VALUES = frozenset(s.value for s in OUTCOME_STAGES)
OTHER_STAGES = ",".join(s.value for s in Stage if s not in OUTCOME_STAGES)
OUTCOME_COLUMNS = [
    Column("rep", "Sales rep", "text"),
    Column("leads", "Leads", "int", "Distinct leads handed off in the period."),
    *[Column(s.value, str(s.label), "int") for s in OUTCOME_STAGES],
    Column(
        "other",
        "Back with inside sales",
        "int",
        "Worked again, disqualified, ... after a rejection or recycling.",
    ),
    Column("pipeline", "Pipeline", "money", "Amount of those now open opportunities."),
    Column("revenue", "Won revenue", "money"),
]


def outcome_table(
    fates: dict[tuple[int, str], dict[str, Any]],
    names: dict[int, str],
    base: dict[str, str],
    *,
    rep_param: str,
    key: str,
    title: str,
    rep_label: str,
) -> Table:
    """Leads handed off in the window, by rep and by what they are now."""
    reps = sorted({rep for rep, _ in fates}, key=lambda r: names.get(r, "").lower())
    columns = [Column("rep", rep_label, "text"), *OUTCOME_COLUMNS[1:]]
    table = Table(key=key, title=title, columns=columns)
    totals: dict[str, Any] = defaultdict(lambda: Decimal(0))
    for rep in reps:
        rlink = link(base, **{rep_param: rep})
        row: Row = {"rep": Cell(names.get(rep, "—"))}
        n_all = 0
        pipeline = revenue = Decimal(0)
        for stage in OUTCOME_STAGES:
            r = fates.get((rep, stage.value))
            n = int(r["n"]) if r else 0
            n_all += n
            totals[stage.value] += n
            row[stage.value] = Cell(n, link(rlink, stage=stage.value))
            if r and stage == Stage.OPPORTUNITY:
                pipeline += Decimal(r["amount"] or 0)
            if r and stage == Stage.WON:
                revenue += Decimal(r["revenue"] or 0)
        other = sum(
            int(r["n"]) for (rp, st), r in fates.items() if rp == rep and st not in OUTCOME_VALUES
        )
        n_all += other
        totals["other"] += other
        row["other"] = Cell(other, link(rlink, stage=OTHER_STAGES))
        row["leads"] = Cell(n_all, rlink)
        row["pipeline"] = Cell(pipeline, link(rlink, stage=Stage.OPPORTUNITY.value))
        row["revenue"] = Cell(revenue, link(rlink, stage=Stage.WON.value))
        totals["leads"] += n_all
        totals["pipeline"] += pipeline
        totals["revenue"] += revenue
        table.rows.append(row)
    table.total = {"rep": Cell("All")}
    table.total["leads"] = Cell(int(totals["leads"]), base)
    for stage in OUTCOME_STAGES:
        table.total[stage.value] = Cell(int(totals[stage.value]), link(base, stage=stage.value))
    table.total["other"] = Cell(int(totals["other"]), link(base, stage=OTHER_STAGES))
    table.total["pipeline"] = Cell(totals["pipeline"], link(base, stage=Stage.OPPORTUNITY.value))
    table.total["revenue"] = Cell(totals["revenue"], link(base, stage=Stage.WON.value))
    return table


def build(viewer: Viewer, filters: ReportFilters, *, now: datetime) -> Report:
    ctx = Ctx.make(viewer, filters, now)
    fl, win = ctx.filters, ctx.window
    counts = _clock_counts(ctx)
    accepted = sales_clocks(ctx).filter(kind=ClockKind.ACCEPT, stopped_by=Action.ACCEPT)
    first = (win.start or now - timedelta(days=metrics.DEFAULT_DAYS)).date() - timedelta(days=1)
    medians = sqltime.business_medians(
        accepted.annotate(t0=F("started_at"), t1=F("stopped_at")).values(
            "user_id", "team_id", "t0", "t1"
        ),
        groups=["user_id"],
        teams=list(Team.objects.all()),
        first=first,
        last=now.date() + timedelta(days=1),
        rollup=True,
    )
    fates = handoff_fates(ctx, "to_rep")
    reps = set(counts) | {rep for rep, _ in fates}
    names = user_names(reps)
    teams_of = user_teams(reps)
    teams = team_names(teams_of.values())
    # Lead-list parameters: the clocks' window and filters, and the handoffs' window.
    clock_base: dict[str, str] = {"as_of": ctx.as_of, **win.link("sla")}
    hand_base: dict[str, str] = {**win.link("handoff")}
    for target in (clock_base, hand_base):
        if fl.lead_team:
            target["team"] = str(fl.lead_team)
        if fl.campaign:
            target["campaign"] = str(fl.campaign)
        if fl.channel:
            target["channel"] = fl.channel
    if fl.team:
        clock_base["sla_team"] = str(fl.team)
    table = Table(
        key="by_rep",
        title="By sales rep",
        columns=COLUMNS,
    )
    total = dict.fromkeys(COUNT_KEYS, 0)
    for rep in sorted((r for r in reps if r is not None), key=lambda r: names.get(r, "").lower()):
        c = counts.get(rep) or dict.fromkeys(COUNT_KEYS, 0)
        for k in COUNT_KEYS:
            total[k] += c[k]
        table.rows.append(
            {
                "rep": Cell(names.get(rep, "—")),
                "team": Cell(teams.get(teams_of.get(rep) or 0, "—")),
                **_cells(c, medians.get((rep,)), link(clock_base, sla_user=rep)),
            }
        )
    table.total = {
        "rep": Cell("All"),
        "team": Cell(""),
        **_cells(total, medians.get((sqltime.ALL,)), clock_base),
    }
    outcomes = outcome_table(
        fates,
        names,
        hand_base,
        rep_param="handoff_to_rep",
        key="outcomes",
        title="Outcomes and pipeline of the leads handed to each rep",
        rep_label="Sales rep",
    )
    chart = Chart(
        kind="bars",
        title="Feedback rate by sales rep",
        unit="pct",
        reference=1.0,
        reference_label="target 100 %",
        value_axis="Handed-off leads with feedback (%)",
        category_axis="Sales rep",
        bars=[
            bar(row, "rep", "feedback_rate")
            for row in table.rows
            if row["feedback_rate"].value is not None
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
        tables=[table, outcomes],
        chart=chart,
        notes=[
            "Received, accepted, rejected and feedback count handoffs (clocks); the outcome "
            "table counts each lead once.",
            "Feedback is given when the lead leaves the waiting stages: rejected, nurture, "
            "opportunity, won, lost, disqualified or recycled.",
        ],
    )
