"""Every number the reports show, defined once.

The report modules count with these definitions and the lead list filters
with them (`leads.selectors.filtered_leads` calls the same functions), so a
number on a report and the list of leads behind it cannot disagree.
docs/metrics.md explains each one for the people reading the reports; keep
the two in step.

Conditions on other tables are written as uncorrelated `id IN (subquery)`
filters, not correlated EXISTS: PostgreSQL runs those as one hashed subplan
per query, where a correlated subquery inside an aggregate's FILTER would be
re-run for every lead.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Case, CharField, Expression, F, Q, QuerySet, Value, When
from django.db.models.sql.compiler import SQLCompiler

from leadloop.accounts.calendars import team_calendar
from leadloop.accounts.models import Team
from leadloop.campaigns.choices import CompanySize
from leadloop.followup.choices import TaskStatus
from leadloop.followup.models import CadenceTask
from leadloop.handoff.models import Handoff
from leadloop.leads.choices import Action, Stage
from leadloop.leads.models import LeadEvent, ReasonCode
from leadloop.leads.states import CLOSED_STAGES, INSIDE_OPEN
from leadloop.lib.businesscal import CalendarError, add_business_days
from leadloop.sla.choices import ClockKind, ClockResult
from leadloop.sla.models import SlaClock

# The window a report covers when none is chosen: the 365 days up to today.
DEFAULT_DAYS = 365


def _q(prefix: str, **lookups: Any) -> Q:
    """A Q on Lead, or on a model reaching the lead through `prefix` (e.g. "lead__")."""
    return Q(**{f"{prefix}{name}": value for name, value in lookups.items()})


def prefixed(q: Q, prefix: str) -> Q:
    """Rewrite a Q on Lead (e.g. `permissions.visibility_filter`) for a related model."""
    out = Q()
    out.connector, out.negated = q.connector, q.negated
    for child in q.children:
        if isinstance(child, Q):
            out.children.append(prefixed(child, prefix))
        elif isinstance(child, tuple):
            out.children.append((f"{prefix}{child[0]}", child[1]))
        else:
            raise TypeError(f"cannot prefix {child!r}")
    return out


# ---------------------------------------------------------------- reach (seed 001)


def reached(prefix: str = "") -> Q:
    """Reached: a two-way contact was logged (a connected call, a reply, a held
    meeting), or the lead was handed off, which needs a conversation. A
    recycled lead's counters restart, but its handoff stays on record."""
    return _q(prefix, connects__gt=0) | _q(prefix, handed_off_at__isnull=False)


def unreachable(prefix: str = "") -> Q:
    """Unreachable: the lead is in the unreachable stage (attempt policy exhausted)."""
    return _q(prefix, stage=Stage.UNREACHABLE)


def settled(prefix: str = "") -> Q:
    """Settled: we know whether it was reached (reached, or closed without
    being reached). Duplicates are nobody's prospect and are left out."""
    closed = _q(prefix, stage__in=CLOSED_STAGES)
    return (reached(prefix) | closed) & ~_q(prefix, stage=Stage.DUPLICATE)


def not_reached(prefix: str = "") -> Q:
    """Settled and not reached: the complement of `reached` within `settled`."""
    return settled(prefix) & ~reached(prefix)


def out_of_target(prefix: str = "") -> Q:
    """Out of target market: its latest reason code (disqualification or
    rejection) is one flagged "out of target market"."""
    codes = ReasonCode.objects.filter(out_of_target=True).values("id")
    return _q(prefix, reason_code_id__in=codes)


def qualified(prefix: str = "") -> Q:
    """Qualified: handed off to sales at least once."""
    return _q(prefix, handed_off_at__isnull=False)


def ever(actions: Iterable[str], *, since: datetime | None = None, prefix: str = "") -> Q:
    """The lead has a stage-change event of one of `actions` (at or after `since`).

    Only stage changes carry an action, so the (action, at) index answers it alone.
    """
    events = LeadEvent.objects.filter(action__in=list(actions))
    if since is not None:
        events = events.filter(at__gte=since)
    return _q(prefix, id__in=events.values("lead_id"))


def won(prefix: str = "") -> Q:
    return _q(prefix, stage=Stage.WON)


def open_pipeline(prefix: str = "") -> Q:
    """Pipeline: the amount of leads that are open opportunities now."""
    return _q(prefix, stage=Stage.OPPORTUNITY)


def no_response(*, since: datetime | None = None, prefix: str = "") -> Q:
    """Did not respond to sales follow-up (seed 001's training signal): after a
    no-show the cadence ran out and the lead went back to its inside rep, or
    sales lost it because the prospect stopped responding."""
    recycled = LeadEvent.objects.filter(action=Action.RECYCLE, from_stage=Stage.NO_SHOW)
    gone_quiet = LeadEvent.objects.filter(
        action=Action.LOSE,
        reason_code_id__in=ReasonCode.objects.filter(code="unresponsive").values("id"),
    )
    if since is not None:
        recycled, gone_quiet = recycled.filter(at__gte=since), gone_quiet.filter(at__gte=since)
    return _q(prefix, id__in=recycled.values("lead_id")) | _q(
        prefix, id__in=gone_quiet.values("lead_id")
    )


def sales_accepted(prefix: str = "") -> Q:
    """Accepted by sales at least once (or went on to a later step)."""
    return in_step("accepted", prefix=prefix)


def sales_rejected(prefix: str = "") -> Q:
    """Rejected by sales and never accepted since."""
    return ever([Action.REJECT], prefix=prefix) & ~in_step("accepted", prefix=prefix)


SALES_ANSWERS = {"accepted": sales_accepted, "rejected": sales_rejected}


REACH_STATES = {
    "reached": reached,
    "unreachable": unreachable,
    "settled": settled,
    "not_reached": not_reached,
}


# ---------------------------------------------------------------- funnel steps


@dataclass(frozen=True)
class Step:
    """A funnel step: a lead is in it if it reached this step or a later one."""

    key: str
    label: str
    action: str | None  # the stage change that enters the step, if it is one


STEPS: tuple[Step, ...] = (
    Step("created", "Leads", None),
    Step("worked", "Worked", None),
    Step("qualified", "Qualified (handed off)", Action.HAND_OFF),
    Step("accepted", "Accepted by sales", Action.ACCEPT),
    Step("meeting", "Meeting held", Action.MEETING_HELD),
    Step("opportunity", "Opportunity", Action.OPEN_OPPORTUNITY),
    Step("won", "Won", Action.WIN),
)
STEP_KEYS = tuple(s.key for s in STEPS)


def step_actions(key: str) -> list[str]:
    """The stage changes that put a lead in step `key` or any later one."""
    index = STEP_KEYS.index(key)
    return [str(s.action) for s in STEPS[index:] if s.action]


def worked(prefix: str = "") -> Q:
    """Worked: someone logged an activity on it (a call, an email, a meeting, a
    note), or it was handed off. Read from the lead's own columns."""
    return _q(prefix, last_activity_at__isnull=False) | qualified(prefix)


def first_worked_at(prefix: str = "") -> Case:
    """When it was first worked: its first call or email (`first_contact_at`).

    A lead that comes back to the queue gets a new first contact; one that
    came back after a handoff is left out of the timing (its first round's
    time is gone), which `first_contact_at <= handed_off_at` tells apart.
    """
    first = f"{prefix}first_contact_at"
    handed = f"{prefix}handed_off_at"
    return Case(
        When(
            Q(**{f"{first}__isnull": False})
            & (Q(**{f"{handed}__isnull": True}) | Q(**{f"{first}__lte": F(handed)})),
            then=F(first),
        ),
        default=None,
    )


def worked_timed(prefix: str = "") -> Q:
    """Leads whose first call or email is on record (`first_worked_at` is set)."""
    first = f"{prefix}first_contact_at"
    handed = f"{prefix}handed_off_at"
    return Q(**{f"{first}__isnull": False}) & (
        Q(**{f"{handed}__isnull": True}) | Q(**{f"{first}__lte": F(handed)})
    )


def in_step(key: str, *, since: datetime | None = None, prefix: str = "") -> Q:
    """Leads that reached step `key` (or a later one). Worked and qualified are
    read from the lead's columns; the later steps from its stage changes."""
    if key == "created":
        return Q()
    if key == "worked":
        return worked(prefix)
    if key == "qualified":
        return qualified(prefix)
    # Every later step needs a handoff first: checking the lead's own column
    # first spares the history lookup for the leads never handed off.
    return qualified(prefix) & ever(step_actions(key), since=since, prefix=prefix)


# ---------------------------------------------------------------- SLA clocks


def clock_met(as_of: datetime) -> Q:
    """Met: stopped on time."""
    return Q(result=ClockResult.MET)


def clock_late(as_of: datetime) -> Q:
    """Late: breached, or still running past its due time (the sweep may not have run yet)."""
    return Q(result=ClockResult.BREACHED) | Q(result=ClockResult.RUNNING, due_at__lt=as_of)


def clock_pending(as_of: datetime) -> Q:
    """Pending: running and not yet due; neither met nor late."""
    return Q(result=ClockResult.RUNNING, due_at__gte=as_of)


def clock_counted(as_of: datetime) -> Q:
    """Counted: every clock but cancelled ones (a duplicate never needed handling)."""
    return ~Q(result=ClockResult.CANCELLED)


def clock_answered(as_of: datetime) -> Q:
    """Answered: stopped by something the owner did (not cancelled), late or not."""
    return Q(stopped_at__isnull=False) & ~Q(result=ClockResult.CANCELLED)


def clock_open(as_of: datetime) -> Q:
    """Open: not stopped yet (running, or breached and still waiting)."""
    return Q(stopped_at__isnull=True)


def clock_open_late(as_of: datetime) -> Q:
    """An open breach now: not stopped and late."""
    return Q(stopped_at__isnull=True) & clock_late(as_of)


def clock_at_risk(as_of: datetime) -> Q:
    """At risk now: running, not yet due, past its warning time (80 % of the allowed time)."""
    return Q(result=ClockResult.RUNNING, due_at__gte=as_of, warn_at__lte=as_of)


CLOCK_STATES = {
    "met": clock_met,
    "late": clock_late,
    "pending": clock_pending,
    "counted": clock_counted,
    "answered": clock_answered,
    "open": clock_open,
    "open_late": clock_open_late,
    "at_risk": clock_at_risk,
}


def clocks(
    *,
    kind: str | None = None,
    state: str | None = None,
    as_of: datetime,
    user: int | None = None,
    team: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    stopped_by: str | None = None,
    stopped_start: datetime | None = None,
    stopped_end: datetime | None = None,
) -> QuerySet[SlaClock]:
    """Clocks by kind, state, owner, team and start time: the rows behind an SLA number."""
    qs = SlaClock.objects.all()
    if kind:
        qs = qs.filter(kind=kind)
    if state:
        qs = qs.filter(CLOCK_STATES[state](as_of))
    if user:
        qs = qs.filter(user_id=user)
    if team:
        qs = qs.filter(team_id=team)
    if start is not None:
        qs = qs.filter(started_at__gte=start)
    if end is not None:
        qs = qs.filter(started_at__lt=end)
    if stopped_by:
        qs = qs.filter(stopped_by=stopped_by)
    if stopped_start is not None:
        qs = qs.filter(stopped_at__gte=stopped_start)
    if stopped_end is not None:
        qs = qs.filter(stopped_at__lt=stopped_end)
    return qs


def with_clock(**kwargs: Any) -> Q:
    """Leads having a clock that matches `clocks(**kwargs)`."""
    return Q(id__in=clocks(**kwargs).values("lead_id"))


# ---------------------------------------------------------------- cadence steps
#
# A follow-up cadence step (seed 004) is *on time* when it was done by the
# close of its business day; *late* when done after it, or still not done
# past it; *skipped* when the cadence ran out first. Steps the prospect made
# unnecessary (a reply, a rebooked meeting) count for nobody.


def step_on_time() -> Q:
    return Q(status=TaskStatus.DONE, done_at__lte=F("due_at"))


def step_late(as_of: datetime) -> Q:
    return Q(status=TaskStatus.DONE, done_at__gt=F("due_at")) | Q(
        status=TaskStatus.PENDING, due_at__lt=as_of
    )


def step_skipped() -> Q:
    return Q(status=TaskStatus.SKIPPED)


STEP_STATES = {
    "on_time": lambda as_of: step_on_time(),
    "late": step_late,
    "skipped": lambda as_of: step_skipped(),
    "missed": lambda as_of: step_late(as_of) | step_skipped(),
}


def with_cadence_step(
    *,
    state: str | None,
    as_of: datetime,
    user: int | None,
    done_start: datetime | None = None,
    done_end: datetime | None = None,
) -> Q:
    """Leads having a cadence step in `state` (assigned to `user`, done in [start, end))."""
    qs = CadenceTask.objects.all()
    if state in STEP_STATES:
        qs = qs.filter(STEP_STATES[state](as_of))
    if user:
        qs = qs.filter(assignee_id=user)
    if done_start is not None:
        qs = qs.filter(done_at__gte=done_start)
    if done_end is not None:
        qs = qs.filter(done_at__lt=done_end)
    return Q(id__in=qs.values("lead_id"))


# Feedback (seed 002): sales owes an outcome on every handoff.
FEEDBACK = ClockKind.FEEDBACK


# ---------------------------------------------------------------- reasons


@dataclass(frozen=True)
class ReasonGroup:
    """Where a reason was given, and whose work it judges (the rep it counts against)."""

    stage: str  # the event's to_stage
    label: str
    rep_field: str  # the lead column naming the rep it counts against
    action: str  # the stage change that gives it


REASON_GROUPS: tuple[ReasonGroup, ...] = (
    ReasonGroup(Stage.DISQUALIFIED, "Disqualified by inside sales", "owner", Action.DISQUALIFY),
    ReasonGroup(Stage.REJECTED, "Rejected by sales", "handed_off_by", Action.REJECT),
    ReasonGroup(
        Stage.DISQUALIFIED_BY_SALES, "Disqualified by sales", "sales_rep", Action.DISQUALIFY
    ),
    ReasonGroup(Stage.LOST, "Lost", "sales_rep", Action.LOSE),
)
REASON_GROUP = {g.stage: g for g in REASON_GROUPS}


def reason_events(
    *,
    reason: int | None = None,
    stage: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> QuerySet[LeadEvent]:
    """Stage changes that carry a reason code: disqualifications, rejections, losses."""
    groups = [REASON_GROUP[stage]] if stage in REASON_GROUP else list(REASON_GROUPS)
    qs = LeadEvent.objects.filter(
        action__in=sorted({g.action for g in groups}),
        to_stage__in=[g.stage for g in groups],
        reason_code__isnull=False,
    )
    if reason:
        qs = qs.filter(reason_code_id=reason)
    if start is not None:
        qs = qs.filter(at__gte=start)
    if end is not None:
        qs = qs.filter(at__lt=end)
    return qs


def with_reason(**kwargs: Any) -> Q:
    return Q(id__in=reason_events(**kwargs).values("lead_id"))


def handoffs(
    *,
    from_rep: int | None = None,
    to_rep: int | None = None,
    to_team: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> QuerySet[Handoff]:
    """Handoffs by inside rep, sales rep, the sales rep's team and time."""
    qs = Handoff.objects.all()
    if from_rep:
        qs = qs.filter(from_rep_id=from_rep)
    if to_rep:
        qs = qs.filter(to_rep_id=to_rep)
    if to_team:
        qs = qs.filter(to_rep__team_id=to_team)
    if start is not None:
        qs = qs.filter(created_at__gte=start)
    if end is not None:
        qs = qs.filter(created_at__lt=end)
    return qs


def with_handoff(**kwargs: Any) -> Q:
    return Q(id__in=handoffs(**kwargs).values("lead_id"))


# Training flag: a rep's share of a reason against the rest of her team,
# one-sided two-proportion z-test (pooled standard error). "Far above" means
# p below TRAINING_P with at least TRAINING_MIN_COUNT leads of that reason.
TRAINING_P = 0.01
TRAINING_MIN_COUNT = 5


# ---------------------------------------------------------------- age (seed 003)

# Age buckets in completed business days: (label, first day, last day or None).
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0", 0, 0),
    ("1-2", 1, 2),
    ("3-4", 3, 4),
    ("5-6", 5, 6),
    ("7-10", 7, 10),
    ("11-20", 11, 20),
    ("21+", 21, None),
)


def past_max_open_age(as_of: datetime, prefix: str = "") -> Q:
    """Past the maximum open age: still with inside sales after the source
    policy's maximum open age (7 business days by default), i.e. its
    "concluded" clock is overdue. Counted from when it (re)entered the queue."""
    return _q(prefix, stage__in=INSIDE_OPEN, conclude_due__lt=as_of)


def completed_business_days(team: Team, as_of: datetime, count: int) -> list[date]:
    """The `count` most recent business days of the team whose close is at or before `as_of`."""
    cal = team_calendar(team)
    zone = ZoneInfo(cal.tz)
    day = as_of.astimezone(zone).date()
    found: list[date] = []
    for _ in range(3660):
        if len(found) >= count:
            break
        if cal.is_business_day(day):
            close = add_business_days(cal, datetime.combine(day, time(), zone), 0)
            if close <= as_of:
                found.append(day)
        day -= timedelta(days=1)
    return found


def age_cutoffs(teams: Sequence[Team], as_of: datetime, days: int) -> dict[int, list[datetime]]:
    """Per team, cutoff[k-1]: a lead created before it is at least k business days old.

    Age in business days = the business days after the day the lead came in
    (on its team's calendar) that have closed by `as_of`. The k-th most
    recent closed business day b_k bounds it: age >= k exactly when the
    lead came in before b_k's midnight.
    """
    out: dict[int, list[datetime]] = {}
    for team in teams:
        try:
            zone = ZoneInfo(team_calendar(team).tz)
            found = completed_business_days(team, as_of, days)
        except CalendarError:
            continue
        out[team.pk] = [datetime.combine(d, time(), zone) for d in found]
    return out


def _age_at_least(cut: list[datetime], k: int) -> Q:
    if k <= 0:
        return Q()
    if k > len(cut):
        return Q(pk__in=[])
    return Q(created_at__lt=cut[k - 1])


def age_between(teams: Sequence[Team], as_of: datetime, low: int | None, high: int | None) -> Q:
    """Leads whose business-day age is within [low, high] (either end open)."""
    needed = max(low or 0, (high + 1) if high is not None else 0)
    cutoffs = age_cutoffs(teams, as_of, needed)
    q = Q(pk__in=[])
    for team_id, cut in cutoffs.items():
        part = Q(team_id=team_id) & _age_at_least(cut, low or 0)
        if high is not None:
            part &= ~_age_at_least(cut, high + 1)
        q |= part
    return q


class AgeBucket(Expression):
    """The SQL CASE naming each lead's age bucket, from per-team cutoffs.

    Written as SQL text here, not as Case(When(...)) per team and bucket: Django
    spent 7 ms compiling (and hashing, for the GROUP BY) those 35 When nodes, as
    long as the aging report's whole aggregate over 47,000 open leads at
    1,000,000 leads. Most open leads are older than every team's last cutoff, so
    the first WHEN settles them with one comparison; the others go through
    their own team's cutoffs only (the aggregate: 13-21 ms, was 15-26 ms, in
    alternating runs on a busy machine).
    """

    output_field = CharField()

    def __init__(self, cutoffs: tuple[tuple[int, tuple[datetime, ...]], ...]) -> None:
        super().__init__()
        self.cutoffs = cutoffs
        self.team: Any = F("team_id")
        self.created: Any = F("created_at")

    def get_source_expressions(self) -> list[Any]:
        return [self.team, self.created]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        self.team, self.created = exprs

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, tuple[Any, ...]]:
        team, _ = compiler.compile(self.team)
        created, _ = compiler.compile(self.created)

        def at(moment: datetime) -> Any:
            return connection.ops.adapt_datetimefield_value(moment)

        top = max(b[1] for b in AGE_BUCKETS)
        sql: list[str] = []
        params: list[Any] = []
        # Teams whose calendar has the last bucket's cutoff: a lead of one of them
        # created before every such cutoff is in the last bucket, whatever its team.
        full = {team_id: cut[top - 1] for team_id, cut in self.cutoffs if len(cut) >= top}
        if full:
            ids = ", ".join(str(int(i)) for i in sorted(full))
            sql.append(f"WHEN {team} IN ({ids}) AND {created} < %s THEN %s")
            params += [at(min(full.values())), AGE_BUCKETS[-1][0]]
        for team_id, cut in self.cutoffs:
            by_age: list[str] = []
            for label, _low, high in AGE_BUCKETS:
                if high is None or high + 1 > len(cut):
                    # The last bucket, or the calendar has fewer closed days than
                    # the bucket needs: younger than its cutoff, so this bucket.
                    by_age.append("ELSE %s")
                    params.append(label)
                    break
                by_age.append(f"WHEN {created} >= %s THEN %s")
                params += [at(cut[high]), label]
            sql.append(f"WHEN {team} = {int(team_id)} THEN CASE {' '.join(by_age)} END")
        return f"CASE {' '.join(sql)} ELSE '' END", tuple(params)


def age_bucket(teams: Sequence[Team], as_of: datetime) -> AgeBucket:
    """Each lead's age bucket (a label of AGE_BUCKETS; "" when its team has no calendar)."""
    top = max(b[1] for b in AGE_BUCKETS)
    cutoffs = age_cutoffs(teams, as_of, top)
    return AgeBucket(tuple((team_id, tuple(cut)) for team_id, cut in cutoffs.items()))


# ---------------------------------------------------------------- lead attributes


def size_band_case(prefix: str = "") -> Case:
    """The employee band of `campaigns.choices.size_band`, in SQL."""
    field = f"{prefix}employees"
    return Case(
        When(**{f"{field}__isnull": True}, then=Value("")),
        When(**{f"{field}__lt": 10}, then=Value(str(CompanySize.MICRO))),
        When(**{f"{field}__lt": 50}, then=Value(str(CompanySize.SMALL))),
        When(**{f"{field}__lt": 250}, then=Value(str(CompanySize.MEDIUM))),
        When(**{f"{field}__lt": 1000}, then=Value(str(CompanySize.LARGE))),
        default=Value(str(CompanySize.ENTERPRISE)),
    )


SIZE_RANGES: dict[str, tuple[int | None, int | None]] = {
    CompanySize.MICRO: (None, 10),
    CompanySize.SMALL: (10, 50),
    CompanySize.MEDIUM: (50, 250),
    CompanySize.LARGE: (250, 1000),
    CompanySize.ENTERPRISE: (1000, None),
}


def size_is(band: str) -> Q:
    """Leads in an employee band ("" for unknown size)."""
    if not band:
        return Q(employees__isnull=True)
    low, high = SIZE_RANGES[band]
    q = Q(employees__isnull=False)
    if low is not None:
        q &= Q(employees__gte=low)
    if high is not None:
        q &= Q(employees__lt=high)
    return q


# Built-in attributes of the unreachable analysis: key -> (label, lead column or None).
ATTRIBUTES: dict[str, str] = {
    "industry": "Industry",
    "size": "Company size (employees)",
    "country": "Country",
    "region": "Region",
    "revenue_band": "Revenue band",
    "channel": "Channel",
    "title": "Title",
}
CUSTOM_PREFIX = "attributes."


def attribute_is(key: str, value: str) -> Q:
    """Leads whose attribute `key` has `value` (a custom one as "attributes.NAME")."""
    if key == "size":
        return size_is(value)
    if key == "channel":
        return Q(campaign__channel=value)
    if key in ATTRIBUTES:
        return Q(**{key: value})
    if key.startswith(CUSTOM_PREFIX):
        name = key.removeprefix(CUSTOM_PREFIX)
        if not value:
            return Q(**{f"attributes__{name}__isnull": True}) | Q(**{f"attributes__{name}": ""})
        return Q(**{f"attributes__{name}": value})
    raise ValueError(f"unknown attribute {key!r}")


# ---------------------------------------------------------------- statistics


def share(part: float | None, whole: float | None) -> float | None:
    """part / whole, or None when there is nothing to divide by."""
    if part is None or not whole:
        return None
    return float(part) / float(whole)


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float] | None:
    """95 % Wilson score interval of a proportion; sound for small n and rates near 0 or 1."""
    if n <= 0:
        return None
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class ZTest:
    z: float
    p_greater: float  # one-sided: first proportion above the second
    p_two_sided: float


def two_proportion_z(k1: int, n1: int, k2: int, n2: int) -> ZTest | None:
    """Pooled two-proportion z-test of k1/n1 against k2/n2; None if undefined."""
    if n1 <= 0 or n2 <= 0:
        return None
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return None
    z = (k1 / n1 - k2 / n2) / se
    return ZTest(
        z=z,
        p_greater=0.5 * math.erfc(z / math.sqrt(2)),
        p_two_sided=math.erfc(abs(z) / math.sqrt(2)),
    )


def training_flag(k_rep: int, n_rep: int, k_rest: int, n_rest: int) -> ZTest | None:
    """The test result if the rep's share of a reason is far above the rest of her team's."""
    if k_rep < TRAINING_MIN_COUNT:
        return None
    test = two_proportion_z(k_rep, n_rep, k_rest, n_rest)
    if test is None or test.z <= 0 or test.p_greater >= TRAINING_P:
        return None
    return test


# Significance of an attribute value's reach rate against all other values.
SIGNIFICANCE_P = 0.05


def weeks(start: datetime, end: datetime) -> float:
    """Length of a window in weeks, for "per week" rates."""
    return max((end - start).total_seconds(), 0.0) / (7 * 86400)
