"""Seeding the demo: an organisation, and leads with their whole history, in bulk.

`seed_demo` is what `leadloop seed`, `leadloop demo` and `leadloop bench`
call. It is reproducible: `random.Random(seed)` drives everything, so the
same number of leads, seed and `now` give the same data (ids aside, when
the database already held rows). Leads are simulated and written a batch
at a time, so memory stays flat however many are asked for.
"""

from __future__ import annotations

import queue
import random
import sys
import threading
import time
from array import array
from bisect import bisect
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from tqdm import tqdm

from leadloop.accounts.calendars import team_calendar
from leadloop.accounts.choices import Role
from leadloop.accounts.models import Team, TerritoryRule, User
from leadloop.campaigns.choices import Channel, CompanySize
from leadloop.campaigns.models import Campaign
from leadloop.campaigns.selectors import policy_for
from leadloop.demo.fake import INDUSTRIES
from leadloop.demo.org import (
    CAMPAIGN_SPECS,
    DEMO_PASSWORD,
    PEOPLE,
    TEAMS,
    demo_login_lines,
    demo_logins,
    ensure_org,
    seeded_window,
)
from leadloop.demo.simulation import (
    CampaignRun,
    Rep,
    Simulation,
    TeamRun,
    attempt_cadence,
)
from leadloop.demo.timeline import BusinessAxis, epoch
from leadloop.demo.writer import BulkWriter, next_ids, timestamp_formatter
from leadloop.handoff.selectors import active_definition
from leadloop.leads.choices import ReasonKind
from leadloop.leads.models import ReasonCode

__all__ = ["DEMO_PASSWORD", "SeedSummary", "demo_login_lines", "demo_logins", "seed_demo"]

# Leads arrive on weekends too, but far fewer (web forms only, in practice).
# The demo's size: with about 4% of leads qualified, a few handoffs a day, so
# that queues, sales inboxes, cadence tasks and purgatory all have work on the
# day the demo opens.
DEMO_LEADS = 12_000
_WEEKDAY_FACTOR = (1.0, 1.0, 1.0, 1.0, 0.9, 0.18, 0.12)
_CAMPAIGN_BITS = 6  # a lead's arrival is packed as (epoch << 6) | campaign index
# Writer connections on PostgreSQL. The server's work per row (about twenty
# indexes and seven foreign keys on a lead) is the bottleneck; two backends can
# use a second core while Python simulates.
_PG_WRITERS = 2
_Batch = tuple[int, dict[str, list[tuple[Any, ...]]], Counter[str]]
# Leads of these channels arrive in office hours (badge scans, imports, calls).
_OFFICE_CHANNELS = frozenset(
    {
        Channel.TRADE_SHOW,
        Channel.EVENT,
        Channel.PURCHASED_LIST,
        Channel.INBOUND_CALL,
        Channel.REFERRAL,
        Channel.MAILING,
    }
)


@dataclass
class SeedSummary:
    """What a seed wrote; `lines()` is what the commands print."""

    requested: int
    leads: int = 0
    activities: int = 0
    events: int = 0
    handoffs: int = 0
    clocks: int = 0
    notifications: int = 0
    seconds: float = 0.0
    by_stage: Counter[str] = field(default_factory=Counter)
    users_created: int = 0
    campaigns_created: int = 0
    interrupted: bool = False

    @property
    def rows(self) -> int:
        return (
            self.leads
            + self.activities
            + self.events
            + self.handoffs
            + self.clocks
            + self.notifications
        )

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    @property
    def leads_per_second(self) -> float:
        return self.leads / self.seconds if self.seconds else 0.0

    def lines(self) -> list[str]:
        org = (
            f"created {self.users_created} users and {self.campaigns_created} campaigns"
            if self.users_created or self.campaigns_created
            else "organisation already there"
        )
        head = "Interrupted: wrote" if self.interrupted else "Seeded"
        out = [
            f"{head} {self.leads:,} of {self.requested:,} leads in {self.seconds:.1f} s "
            f"({self.leads_per_second:,.0f} leads/s); {org}.",
            f"Rows: {self.activities:,} activities, {self.events:,} events, "
            f"{self.handoffs:,} handoffs, {self.clocks:,} SLA clocks, "
            f"{self.notifications:,} notifications; {self.rows:,} rows in all, "
            f"{self.rows_per_second:,.0f} rows/s.",
        ]
        if self.by_stage:
            stages = ", ".join(f"{stage} {n:,}" for stage, n in self.by_stage.most_common())
            out.append(f"By stage: {stages}.")
        return out


def seed_demo(
    *,
    leads: int,
    seed: int,
    now: datetime,
    months: int = 12,
    batch: int = 20000,
    progress: bool = False,
) -> SeedSummary:
    """Create the demo organisation if missing, then `leads` leads over `months` before `now`.

    Each batch of leads is one transaction. Ctrl-C stops after the last whole
    batch; the summary then says how many were written (`interrupted`).
    """
    if leads < 0 or months < 1 or batch < 1:
        raise ValueError("leads must be >= 0, months and batch >= 1")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    started = time.perf_counter()
    summary = SeedSummary(requested=leads)
    setup = ensure_org(now=now, months=months)
    summary.users_created, summary.campaigns_created = setup.users_created, setup.campaigns_created

    rng = random.Random(seed)
    window_start, _ = seeded_window(now, months)
    teams = _team_runs(
        window_start.date() - timedelta(days=3), now.date() + timedelta(days=90), now
    )
    campaigns = _campaign_runs(teams)
    writer = BulkWriter()
    definition = active_definition()
    sim = Simulation(
        rng=rng,
        now=epoch(now),
        stamp=timestamp_formatter(writer.postgres),
        marketing=_marketing(teams),
        reps={rep.id: rep for team in teams.values() for rep in team.reps},
        reasons=_reason_ids(),
        definition_id=definition.pk,
        criteria=[str(c["key"]) for c in definition.criteria],
        next_ids=next_ids(),
    )
    arrivals = _arrivals(rng, leads, campaigns, epoch(window_start), epoch(now))

    bar = tqdm(
        total=leads,
        unit="lead",
        file=sys.stderr,
        disable=not progress,
        dynamic_ncols=True,
        smoothing=0.1,
    )
    # PostgreSQL ingests while Python simulates the next batch. Inside a transaction
    # (tests) another connection would not see the organisation: write inline.
    sink = _BatchSink(
        writer,
        summary,
        threads=_PG_WRITERS if writer.postgres and not connection.in_atomic_block else 0,
    )
    mask = (1 << _CAMPAIGN_BITS) - 1
    finished = False
    try:
        for first in range(0, leads, batch):
            stages: Counter[str] = Counter()
            done = 0
            for code in arrivals[first : first + batch]:
                stages[sim.play(code >> _CAMPAIGN_BITS, campaigns[code & mask])] += 1
                done += 1
                if done == 500:
                    bar.update(done)
                    done = 0
            bar.update(done)
            sink.put(sim.take(), stages)
        finished = True
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        bar.close()
        sink.close(abandon=not finished)
    if writer.postgres:
        # After a bulk load the planner's statistics are stale until autovacuum
        # comes by, if it runs at all: with them, a report on 200,000 fresh
        # leads took 32 s instead of 0.9 s. Refresh them now.
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    summary.seconds = time.perf_counter() - started
    return summary


class _BatchSink:
    """Writes batches and counts what was committed, inline or in writer threads.

    Writer threads copy batches side by side but commit them in order: a
    duplicate lead may point at a lead of the batch before, and a foreign key
    cannot see another transaction's uncommitted rows. At most one batch waits
    while the others are written. On Ctrl-C the batches being written are
    finished (each is one transaction) and the waiting one is dropped, so only
    whole batches are counted.
    """

    def __init__(self, writer: BulkWriter, summary: SeedSummary, *, threads: int) -> None:
        self.writer = writer
        self.summary = summary
        self.error: BaseException | None = None
        self.abandon = False
        self.sent = 0
        self.finished = -1  # every batch up to this one has committed or failed
        self.turn = threading.Condition()
        self.queue: queue.Queue[_Batch | None] = queue.Queue(maxsize=1)
        self.threads = [
            threading.Thread(target=self._drain, name=f"seed-writer-{i}", daemon=True)
            for i in range(threads)
        ]
        for thread in self.threads:
            thread.start()

    def put(self, rows: dict[str, list[tuple[Any, ...]]], stages: Counter[str]) -> None:
        batch = (self.sent, rows, stages)
        self.sent += 1
        if not self.threads:
            self._write(batch)
            return
        self._raise()
        self.queue.put(batch)

    def close(self, *, abandon: bool = False) -> None:
        """Wait for the writers; `abandon` drops batches not yet started."""
        self.abandon = self.abandon or abandon
        stops = 0
        while True:
            try:
                while stops < len(self.threads):
                    self.queue.put(None)
                    stops += 1
                for thread in self.threads:
                    thread.join()
                break
            except KeyboardInterrupt:  # Ctrl-C while waiting: finish the batches in hand only
                self.abandon = self.summary.interrupted = True
        self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def _drain(self) -> None:
        try:
            while (item := self.queue.get()) is not None:
                if self.error is None and not self.abandon:
                    try:
                        self._write(item)
                    except BaseException as exc:  # handed to the main thread
                        self.error = exc
        finally:
            connection.close()

    def _wait_turn(self, number: int) -> None:
        with self.turn:
            self.turn.wait_for(lambda: self.finished >= number - 1)

    def _write(self, batch: _Batch) -> None:
        number, rows, stages = batch
        try:
            self.writer.write(rows, before_commit=lambda: self._wait_turn(number))
        finally:
            # A failed batch also waits its turn, so later ones never overtake earlier.
            self._wait_turn(number)
            with self.turn:
                self.finished = number
                self.turn.notify_all()
        with self.turn:
            summary = self.summary
            summary.leads += len(rows["lead"])
            summary.activities += len(rows["activity"])
            summary.events += len(rows["event"])
            summary.handoffs += len(rows["handoff"])
            summary.clocks += len(rows.get("clock", ()))
            summary.notifications += len(rows.get("notification", ()))
            summary.by_stage.update(stages)


# ---------------------------------------------------------------- preparing the simulation


def _team_runs(first: date, last: date, now: datetime) -> dict[str, TeamRun]:
    """The demo teams with their calendars, business axes, reps and routing."""
    staff = {p.username: p for p in PEOPLE}
    now_ts = epoch(now)
    runs: dict[str, TeamRun] = {}
    for team in Team.objects.filter(name__in=[s.name for s in TEAMS]).prefetch_related("feeds"):
        cal = team_calendar(team)
        runs[team.name] = TeamRun(
            team=team, cal=cal, axis=BusinessAxis(cal, first, last), zone=ZoneInfo(team.timezone)
        )
    working = (
        User.objects.filter(
            team__in=[r.team for r in runs.values()],
            groups__name__in=[Role.INSIDE_REP, Role.SALES_REP],
            username__in=list(staff),
        )
        .select_related("team")
        .order_by("id")
    )
    reps: dict[int, Rep] = {}
    for user in working:
        if user.team is None:
            continue
        person = staff[user.username]
        rep = Rep(id=user.pk, staff=person, team=runs[user.team.name])
        if person.left_days_ago is not None:
            rep.active_until = now_ts - person.left_days_ago * 86_400
            rep.assignable_until = rep.active_until - 30 * 86_400
        reps[user.pk] = rep
        rep.team.reps.append(rep)
    for rule in TerritoryRule.objects.filter(team__in=[r.team for r in runs.values()], region=""):
        if rule.rep_id in reps:
            runs[rule.team.name].territories[rule.country] = reps[rule.rep_id]
    countries = {s.name: s.countries for s in TEAMS}
    for run in runs.values():
        for fed in run.team.feeds.all():
            if fed.name in runs and runs[fed.name].reps:
                for country in countries[fed.name]:
                    run.sales_by_country[country] = runs[fed.name]
    return runs


def _campaign_runs(teams: dict[str, TeamRun]) -> list[CampaignRun]:
    """The demo campaigns with their source policy and target market, in/out."""
    runs: list[CampaignRun] = []
    team_countries = {s.name: s.countries for s in TEAMS}
    sizes = [str(s) for s in CompanySize]
    for campaign in (
        Campaign.objects.filter(name__in=list(CAMPAIGN_SPECS)).select_related("team").order_by("id")
    ):
        team = teams.get(campaign.team.name)
        if team is None or not team.reps or not team.sales_by_country:
            continue
        spec = CAMPAIGN_SPECS[campaign.name]
        policy = policy_for(campaign)
        # The campaign's market as stored (an admin may have changed it).
        industries = list(campaign.target_industries or spec.industries)
        target_sizes = list(campaign.target_sizes or spec.sizes)
        countries = [
            c
            for c in (campaign.target_countries or spec.countries)
            if c in team_countries[team.team.name]
        ] or list(spec.countries)
        runs.append(
            CampaignRun(
                campaign=campaign,
                spec=spec,
                team=team,
                policy=policy,
                cadence=attempt_cadence(policy.max_dials, policy.max_emails),
                industries=industries,
                other_industries=[i for i in INDUSTRIES if i not in industries],
                sizes=target_sizes,
                other_sizes=[s for s in sizes if s not in target_sizes],
                countries=countries,
                other_countries=[c for c in team_countries[team.team.name] if c not in countries],
            )
        )
    if not runs:
        raise RuntimeError("No demo campaign with a staffed team; is the organisation complete?")
    if len(runs) > 1 << _CAMPAIGN_BITS:
        raise RuntimeError("Too many demo campaigns to pack into an arrival")
    return runs


def _reason_ids() -> dict[tuple[str, str], int]:
    """Active reason codes by (kind, code); (kind, "") is each kind's fallback."""
    ids: dict[tuple[str, str], int] = {}
    for reason in ReasonCode.objects.filter(is_active=True).order_by("kind", "position", "id"):
        ids[(reason.kind, reason.code)] = reason.pk
        ids.setdefault((reason.kind, ""), reason.pk)
    missing = [kind for kind in ReasonKind.values if (kind, "") not in ids]
    if missing:
        raise RuntimeError(f"No active reason code of kind {', '.join(missing)}; add one first.")
    return ids


def _marketing(teams: dict[str, TeamRun]) -> list[Rep]:
    """Marketing users, who send nurtured unreachable leads back to work."""
    staff = {p.username: p for p in PEOPLE if p.role == Role.MARKETING}
    home = next(iter(teams.values()))
    return [
        Rep(id=user.pk, staff=staff[user.username], team=home)
        for user in User.objects.filter(username__in=list(staff)).order_by("id")
    ]


def _arrivals(
    rng: random.Random, count: int, campaigns: list[CampaignRun], start: int, end: int
) -> array[int]:
    """When each lead arrives and from which campaign, sorted by time.

    A day's volume follows the weekday, a gentle growth over the window and
    the campaigns running that day (a trade show brings a burst, then its
    badge scans trickle in); the hour follows the channel and the team's zone.
    """
    first_day = datetime.fromtimestamp(start, UTC).date()
    last_day = datetime.fromtimestamp(end - 1, UTC).date()
    span = (last_day - first_day).days + 1
    day_weights: list[float] = []
    day_mix: list[tuple[list[float], list[int]]] = []
    for d in range(span):
        day = first_day + timedelta(days=d)
        cum: list[float] = []
        which: list[int] = []
        total = 0.0
        for i, run in enumerate(campaigns):
            weight = _campaign_weight(run, day)
            if weight > 0:
                total += weight
                cum.append(total)
                which.append(i)
        growth = 0.85 + 0.3 * d / max(span - 1, 1)
        day_weights.append(total * _WEEKDAY_FACTOR[day.weekday()] * growth)
        day_mix.append((cum, which))
    day_cum: list[float] = []
    running = 0.0
    for w in day_weights:
        running += w
        day_cum.append(running)
    if running <= 0:
        raise RuntimeError("No demo campaign runs in the seeded window")

    r = rng.random
    packed = array("q")
    for _ in range(count):
        d = min(bisect(day_cum, r() * running), span - 1)
        cum, which = day_mix[d]
        index = which[min(bisect(cum, r() * cum[-1]), len(which) - 1)]
        run = campaigns[index]
        axis = run.team.axis
        midnight = axis.midnights[(first_day - axis.first).days + d]
        if run.campaign.channel in _OFFICE_CHANNELS:
            second = rng.uniform(8, 18) * 3600
        elif r() < 0.7:
            second = rng.uniform(7, 20) * 3600
        else:
            second = r() * 86_400
        ts = midnight + int(second)
        if not start <= ts < end:
            # First or last day of the window: any time of that day inside it (or of
            # the window, when the team's local day barely overlaps it).
            low, high = max(start, midnight), min(end, midnight + 86_400)
            if high <= low:
                low, high = start, end
            ts = low + int(r() * (high - low))
        packed.append(ts << _CAMPAIGN_BITS | index)
    return array("q", sorted(packed))


def _campaign_weight(run: CampaignRun, day: date) -> float:
    """Leads a campaign brings on `day`, relative to the others."""
    c, spec = run.campaign, run.spec
    if c.starts_on and day < c.starts_on:
        return 0.0
    if c.ends_on is None or day <= c.ends_on:
        return spec.weight
    after = (day - c.ends_on).days
    if after <= spec.tail_days:
        return spec.weight * 0.3 * (1 - after / (spec.tail_days + 1))
    return 0.0
