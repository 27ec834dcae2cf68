"""Each demo lead's story, played through the lifecycle in Python and emitted as rows.

A lead is created, assigned, called and emailed on its team's business
calendar, and then reached or not, qualified or not, handed off, accepted or
rejected, met, recycled, won or lost, each with the rates the seeds describe
(20-50 % unreachable, 100-500 dials per qualified lead, about a fifth of
meetings no-shows, ...). Every move and every logged attempt is made by the
actions layer's own effect functions (`lifecycle.effects`: the lifecycle
table, the columns a move sets, the clocks it starts and stops, the moves an
attempt makes by itself) and recorded by its event builders
(`lifecycle.events`), applied here to in-memory leads and written in bulk,
so the demo's history is what the app would have written. The rates the
stories draw from are data, in `demo.rates`.

A step that would happen after `now` has not happened yet: the story stops
there, which is what leaves recent leads open in the queues.

Rows are plain tuples in the column order of `LEAD_FIELDS` etc.; times are
already formatted for the database by the `Stamp` the writer supplies.
"""

from __future__ import annotations

import json
import random
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from leadloop.accounts.models import Team
from leadloop.campaigns.choices import Channel
from leadloop.campaigns.models import Campaign, SourcePolicy
from leadloop.demo import rates
from leadloop.demo.cadences import CadenceBook
from leadloop.demo.clocks import ClockBook
from leadloop.demo.fake import NON_BUYER_TITLES, Company, Directory, Person, ascii_slug
from leadloop.demo.org import CampaignSpec, Staff
from leadloop.demo.rates import HOUR
from leadloop.demo.timeline import BusinessAxis
from leadloop.leads import identity, states
from leadloop.leads.choices import Action, EventKind, Stage
from leadloop.leads.person import PERSON_FIELDS
from leadloop.lib.businesscal import Calendar
from leadloop.lifecycle import effects, events
from leadloop.outreach.choices import ActivityKind
from leadloop.sla import rules as sla_rules
from leadloop.sla.choices import ClockKind

LEAD_FIELDS = (
    "id",
    *PERSON_FIELDS,
    "attributes",
    "email_key",
    "phone_key",
    "person_key",
    "campaign_id",
    "team_id",
    "stage",
    "owner_id",
    "sales_rep_id",
    "handed_off_by_id",
    "duplicate_of_id",
    "reason_code_id",
    "priority",
    "first_contact_due",
    "first_contact_at",
    "conclude_due",
    "dials",
    "emails",
    "connects",
    "round_dials",
    "round_emails",
    "round_connects",
    "last_activity_at",
    "meeting_at",
    "handed_off_at",
    "next_touch_on",
    "amount",
    "expected_close_on",
    "revenue",
    "closed_at",
    "qualification",
    "created_at",
    "updated_at",
    "stage_changed_at",
    "version",
)
EVENT_FIELDS = (
    "id",
    "lead_id",
    "kind",
    "action",
    "at",
    "actor_id",
    "from_stage",
    "to_stage",
    "reason_code_id",
    "data",
)
ACTIVITY_FIELDS = (
    "id",
    "lead_id",
    "actor_id",
    "kind",
    "outcome",
    "occurred_at",
    "note",
    "created_at",
)
HANDOFF_FIELDS = (
    "id",
    "lead_id",
    "from_rep_id",
    "to_rep_id",
    "definition_id",
    "answers",
    "write_up",
    "meeting_at",
    "warm_call_confirmed",
    "created_at",
)

CALL, EMAIL, MEETING, NOTE = (
    str(k) for k in (ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.MEETING, ActivityKind.NOTE)
)
A = Action
_MEETING_OUTCOME = str(ClockKind.MEETING_OUTCOME)
_CENTS = Decimal("0.01")
_INSIDE_OPEN = frozenset(str(s) for s in states.INSIDE_OPEN)
_UNASSIGNED = json.dumps(events.assigned(owner=None).data)
# Stamp: epoch seconds -> the database's text for a timestamp.
Stamp = Callable[[int], str]


class Later(Exception):
    """The next step falls after `now`: it has not happened yet, the story stops."""


# ---------------------------------------------------------------- the organisation, prepared


@dataclass(eq=False)
class Rep:
    """A demo user who works leads, with her working profile."""

    id: int
    staff: Staff
    team: TeamRun
    # Leads stop coming to a leaver a month before she left; she acts until she left.
    assignable_until: int | None = None
    active_until: int | None = None
    # The data of the "assigned" event of her leads, written once.
    assigned_data: str = ""

    def __post_init__(self) -> None:
        self.assigned_data = json.dumps(events.assigned(owner=self.id).data)


@dataclass(eq=False)
class TeamRun:
    """A team as the simulation needs it: calendar, business axis, reps, routing."""

    team: Team
    cal: Calendar
    axis: BusinessAxis
    zone: ZoneInfo
    reps: list[Rep] = field(default_factory=list)
    territories: dict[str, Rep] = field(default_factory=dict)
    sales_by_country: dict[str, TeamRun] = field(default_factory=dict)
    round_robin: int = 0
    recent: deque[tuple[int, Company, Person]] = field(default_factory=lambda: deque(maxlen=200))


@dataclass(eq=False)
class CampaignRun:
    campaign: Campaign
    spec: CampaignSpec
    team: TeamRun
    policy: SourcePolicy
    cadence: list[tuple[int, str]]
    industries: list[str]
    other_industries: list[str]
    sizes: list[str]
    other_sizes: list[str]
    countries: list[str]
    other_countries: list[str]
    created_data: str = ""

    def __post_init__(self) -> None:
        spec = events.created(campaign_id=self.campaign.pk, channel=self.campaign.channel)
        self.created_data = json.dumps(spec.data)


def attempt_cadence(max_dials: int, max_emails: int) -> list[tuple[int, str]]:
    """(business day, call or email) of every attempt the policy allows, in order.

    Calls on days 0, 1, 3, 5, 7, ... and emails on days 0, 2, 5, 9, ...: the
    usual spread of five dials and three emails over a week and a half.
    """
    calls = [(0 if i == 0 else 2 * i - 1, CALL) for i in range(max_dials)]
    emails = [(j * (j + 3) // 2, EMAIL) for j in range(max_emails)]
    return sorted(calls + emails, key=lambda slot: (slot[0], slot[1] != CALL))


class LeadRun:
    """One lead while its story is played: the columns the effects read and set, and the
    story's own state.

    The effect functions set its columns as they set a `leads.Lead`'s (times as
    aware datetimes, people as ids); the story keeps its own clock in epoch
    seconds (`clock`, `created`, `meeting`), which the business axes count in.
    """

    __slots__ = (
        "amount",
        "attributes",
        "attributes_json",
        "campaign",
        "claimed_by_id",
        "claimed_until",
        "clock",
        "clocks",
        "closed_at",
        "company",
        "conclude_due",
        "connects",
        "created",
        "dials",
        "duplicate_of",
        "duplicate_of_id",
        "emails",
        "expected_close_on",
        "first_contact_at",
        "first_contact_due",
        "handed_off_at",
        "handed_off_by_id",
        "handoffs",
        "id",
        "last_activity_at",
        "meeting",
        "meeting_at",
        "next_touch_on",
        "out_of_target",
        "owner_id",
        "person",
        "person_key",
        "qualification",
        "reason_code_id",
        "recycles",
        "reps",
        "revenue",
        "round_connects",
        "round_dials",
        "round_emails",
        "sales_rep_id",
        "score",
        "stage",
        "stage_changed_at",
        "updated_at",
        "version",
    )

    def __init__(
        self,
        lead_id: int,
        created: int,
        campaign: CampaignRun,
        *,
        reps: Mapping[int, Rep],
        company: Company,
        person: Person,
        person_key: str,
        out_of_target: bool,
        duplicate_of: int | None,
        score: int,
        attributes: dict[str, Any],
        attributes_json: str,
    ) -> None:
        self.id = lead_id
        self.created = self.clock = created
        self.stage_changed_at = self.updated_at = _utc(created)
        self.campaign = campaign
        self.reps = reps
        self.company, self.person, self.person_key = company, person, person_key
        self.out_of_target, self.duplicate_of, self.score = out_of_target, duplicate_of, score
        self.attributes, self.attributes_json = attributes, attributes_json
        self.stage = "new"
        self.version = 1
        self.owner_id: int | None = None
        self.sales_rep_id: int | None = None
        self.handed_off_by_id: int | None = None
        self.reason_code_id: int | None = None
        self.duplicate_of_id: int | None = None
        self.claimed_by_id: int | None = None
        self.claimed_until: datetime | None = None
        self.first_contact_at: datetime | None = None
        self.last_activity_at: datetime | None = None
        self.meeting_at: datetime | None = None
        self.meeting: int | None = None
        self.handed_off_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.next_touch_on: date | None = None
        self.expected_close_on: date | None = None
        self.amount: Decimal | None = None
        self.revenue: Decimal | None = None
        self.dials = self.emails = self.connects = 0
        self.round_dials = self.round_emails = self.round_connects = 0
        self.handoffs = self.recycles = 0
        self.qualification: dict[str, str] = {}
        self.first_contact_due = self.conclude_due = created
        # The open SLA clocks, by kind (see demo.clocks).
        self.clocks: dict[str, Any] = {}

    @property
    def owner(self) -> Rep | None:
        return self.reps.get(self.owner_id) if self.owner_id is not None else None

    @property
    def sales_rep(self) -> Rep | None:
        return self.reps.get(self.sales_rep_id) if self.sales_rep_id is not None else None

    @property
    def handed_off_by(self) -> Rep | None:
        return self.reps.get(self.handed_off_by_id) if self.handed_off_by_id is not None else None


def _utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


# ---------------------------------------------------------------- the simulation


class Simulation:
    """Plays lead stories and collects their rows until the writer takes them."""

    def __init__(
        self,
        *,
        rng: random.Random,
        now: int,
        stamp: Stamp,
        marketing: Sequence[Rep],
        reps: Mapping[int, Rep],
        reasons: dict[tuple[str, str], int],
        definition_id: int,
        criteria: Sequence[str],
        next_ids: dict[str, int],
    ) -> None:
        self.rng = rng
        self.now = now
        self.stamp = stamp
        self.marketing = marketing
        # Every rep a lead can name (owner, sales rep, producer), by id.
        self.reps = {**reps, **{m.id: m for m in marketing}}
        self.reasons = reasons
        self.definition_id = definition_id
        self.criteria = criteria
        self.directory = Directory(rng)
        self.next_ids = next_ids
        self.leads: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []
        self.activities: list[tuple[Any, ...]] = []
        self.handoffs: list[tuple[Any, ...]] = []
        self._json_cache: dict[tuple[tuple[str, Any], ...], str] = {}
        self.book = ClockBook(now=now, stamp=stamp, next_ids=next_ids, event=self._event)
        self.cadences = CadenceBook(now=now, stamp=stamp, next_ids=next_ids)

    def take(self) -> dict[str, list[tuple[Any, ...]]]:
        """Hand the collected rows to the writer and start collecting afresh."""
        rows = {
            "lead": self.leads,
            "handoff": self.handoffs,
            "activity": self.activities,
            "event": self.events,
        }
        self.leads, self.handoffs, self.activities, self.events = [], [], [], []
        return rows | self.book.take() | self.cadences.take()

    # ------------------------------------------------------------ one lead

    def play(self, created: int, campaign: CampaignRun) -> str:
        """Create one lead at `created` and play its story up to `now`; returns its stage."""
        lead_id = self.next_ids["lead"]
        self.next_ids["lead"] += 1
        lead = self._invent(lead_id, created, campaign)
        owner = self._assign(campaign.team, lead.company.country, created)
        lead.owner_id = owner.id if owner is not None else None
        self.book.open(lead, sla_rules.clocks_for("new"), created, owner=owner, sales=None)
        self._event(lead, EventKind.CREATED, created, campaign.created_data, to_stage="new")
        self._event(
            lead, EventKind.ASSIGNED, created, owner.assigned_data if owner else _UNASSIGNED
        )
        try:
            if lead.duplicate_of is not None:
                self._duplicate(lead)
            else:
                self._inside(lead, created, fresh=True)
        except Later:
            pass
        self.book.finish(lead)
        self.leads.append(self._lead_row(lead))
        return lead.stage

    def _invent(self, lead_id: int, created: int, c: CampaignRun) -> LeadRun:
        """Who the lead is; out-of-target leads really are outside the campaign's market."""
        rng = self.rng
        r = rng.random
        team = c.team
        duplicate_of = None
        if team.recent and r() < 0.015:
            original, company, known = team.recent[int(r() * len(team.recent))]
            # The same person typed differently (initial, other address, no phone): no
            # identity key matches, so intake let it in and the rep marks it by hand.
            initial = known.first_name[0]
            person = Person(
                f"{initial}.",
                known.last_name,
                known.title,
                known.seniority,
                f"{ascii_slug(known.last_name)}.{ascii_slug(initial)}@{company.domain}",
                "",
                "",
            )
            duplicate_of, out_of_target = original, False
        else:
            out_of_target = r() < c.spec.out_of_target
            industries, sizes, countries = c.industries, c.sizes, c.countries
            if out_of_target:
                miss = r()
                if miss < 0.6 and c.other_industries:
                    industries = c.other_industries
                elif miss < 0.9 and c.other_sizes:
                    sizes = c.other_sizes
                elif c.other_countries:
                    countries = c.other_countries
                else:
                    industries = c.other_industries or industries
            country = countries[int(r() * len(countries))]
            industry = industries[int(r() * len(industries))]
            company = self.directory.company(country, industry, sizes)
            person = self.directory.person(company, non_buyer=out_of_target and r() < 0.12)
            team.recent.append((lead_id, company, person))
        in_industry = company.industry in c.industries
        in_size = company.size_band in c.sizes
        score = (
            14
            + 9 * person.seniority
            + (16 if in_industry else 0)
            + (10 if in_size else 0)
            + rates.CHANNEL_POINTS.get(c.campaign.channel, 5)
            + rng.gauss(0, 9)
        )
        attributes, text = self._attributes(c.campaign.channel)
        return LeadRun(
            lead_id,
            created,
            c,
            reps=self.reps,
            company=company,
            person=person,
            person_key=self.directory.person_key(person, company),
            out_of_target=out_of_target,
            duplicate_of=duplicate_of,
            score=max(0, min(100, int(score))),
            attributes=attributes,
            attributes_json=text,
        )

    def _attributes(self, channel: str) -> tuple[dict[str, Any], str]:
        """Custom attributes by channel, with their JSON (few variants: cached)."""
        r = self.rng.random
        found: dict[str, Any]
        if channel == Channel.WEB_RFI:
            found = {"utm_source": rates.UTM.pick(self.rng), "form": "contact"}
        elif channel == Channel.WEBINAR:
            found = {"webinar_attended": r() < 0.55}
        elif channel == Channel.TRADE_SHOW:
            found = {"badge_scan": "booth" if r() < 0.7 else "talk"}
        elif channel == Channel.PURCHASED_LIST:
            found = {"list_vendor": "Dealfront" if r() < 0.5 else "ZoomInfo"}
        else:
            found = {}
        key = tuple(found.items())
        text = self._json_cache.get(key)
        if text is None:
            text = self._json_cache[key] = json.dumps(found)
        return found, text

    def _assign(self, team: TeamRun, country: str, at: int) -> Rep | None:
        """Territory first, else round robin over the reps still taking leads."""
        rep = team.territories.get(country)
        if rep is not None and (rep.assignable_until is None or at < rep.assignable_until):
            return rep
        for _ in range(len(team.reps)):
            rep = team.reps[team.round_robin % len(team.reps)]
            team.round_robin += 1
            if rep.assignable_until is None or at < rep.assignable_until:
                return rep
        return None

    # ------------------------------------------------------------ rows

    def _t(self, ts: int | None) -> str | None:
        if ts is None:
            return None
        return self.stamp(ts)

    def _d(self, moment: datetime | None) -> str | None:
        if moment is None:
            return None
        return self.stamp(int(moment.timestamp()))

    def _event(
        self,
        lead: LeadRun,
        kind: str,
        at: int,
        data: str,
        *,
        action: str = "",
        actor: int | None = None,
        from_stage: str = "",
        to_stage: str = "",
        reason: int | None = None,
    ) -> int:
        ids = self.next_ids
        row = (
            ids["event"],
            lead.id,
            kind,
            action,
            self.stamp(at),
            actor,
            from_stage,
            to_stage,
            reason,
            data,
        )
        self.events.append(row)
        ids["event"] += 1
        return int(row[0])

    def _move(
        self,
        lead: LeadRun,
        action: str,
        at: int,
        actor: Rep | None,
        data: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> None:
        """One move at `at`, made by the actions layer's effect function, with its event."""
        if at >= self.now or _gone(actor, at):
            raise Later
        if at < lead.clock:
            at = lead.clock
        data = dict(data or {})
        if reason is not None:
            data["reason_code"] = self._reason(action, reason)
        move = effects.move(lead, action, data, _utc(at))
        effects.apply(lead, move.changes)
        spec = events.transition(move)
        self._event(
            lead,
            spec.kind,
            at,
            json.dumps(spec.data) if spec.data else "{}",
            action=spec.action,
            actor=_id(actor),
            from_stage=spec.from_stage,
            to_stage=spec.to_stage,
            reason=spec.reason_code_id,
        )
        self._clocks(lead, move, at)
        lead.clock = at

    def _clocks(self, lead: LeadRun, move: effects.Move, at: int) -> None:
        """Stop and start clocks as `lifecycle.clocks.apply_plan` does, on the lead as
        the move left it (a hand-off's sales rep, a recycle's inside rep)."""
        plan = move.clocks
        closing = not sla_rules.clocks_for(move.to_stage)
        if closing or plan.stop:
            self.book.stop(
                lead, None if closing else plan.stop, at, move.action, cancel=plan.cancel
            )
        if plan.start:
            base = None
            if _MEETING_OUTCOME in plan.start and lead.meeting is not None:
                base = {_MEETING_OUTCOME: lead.meeting}
            self.book.open(lead, plan.start, at, owner=lead.owner, sales=lead.sales_rep, base=base)

    def _act(
        self, lead: LeadRun, actor: Rep | None, kind: str, outcome: str, at: int, note: str = ""
    ) -> int:
        """Log an activity, as `lifecycle.activities.record_activity` does: its counts and
        clocks, and the moves it makes by itself (work starts, the policy runs out)."""
        if at >= self.now or _gone(actor, at):
            raise Later
        if at < lead.clock:
            at = lead.clock
        ids = self.next_ids
        text = self.stamp(at)
        self.activities.append(
            (ids["activity"], lead.id, actor.id if actor else None, kind, outcome, text, note, text)
        )
        ids["activity"] += 1
        when = _utc(at)
        touch = effects.touch(lead, kind, outcome, when, when)
        effects.apply(lead, touch.changes)
        if touch.stop:
            self.book.stop(lead, touch.stop, at, kind)
        if touch.restart:
            self.book.stop(lead, touch.restart, at, kind)
            self.book.open(lead, touch.restart, at, owner=lead.owner, sales=lead.sales_rep)
        lead.clock = at
        policy = lead.campaign.policy
        limits = {"max_dials": policy.max_dials, "max_emails": policy.max_emails}
        for follow_on in effects.after_attempt(lead, kind, **limits):
            if follow_on == Action.START_WORK:
                self._move(lead, follow_on, at, actor)
            else:
                self._move(
                    lead, follow_on, at, None, {"note": effects.exhausted_note(lead, **limits)}
                )
        return at

    def _lead_row(self, lead: LeadRun) -> tuple[Any, ...]:
        p, co, c, t, d = lead.person, lead.company, lead.campaign, self._t, self._d
        return (
            lead.id,
            p.first_name,
            p.last_name,
            p.title,
            p.email,
            p.phone,
            co.name,
            co.industry,
            co.employees,
            co.revenue_band,
            co.country,
            co.region,
            lead.attributes_json,
            identity.email_key(p.email),
            p.phone_key,
            lead.person_key,
            c.campaign.pk,
            c.team.team.pk,
            lead.stage,
            lead.owner_id,
            lead.sales_rep_id,
            lead.handed_off_by_id,
            lead.duplicate_of_id,
            lead.reason_code_id,
            c.policy.priority,
            t(lead.first_contact_due),
            d(lead.first_contact_at),
            t(lead.conclude_due),
            lead.dials,
            lead.emails,
            lead.connects,
            lead.round_dials,
            lead.round_emails,
            lead.round_connects,
            d(lead.last_activity_at),
            d(lead.meeting_at),
            d(lead.handed_off_at),
            _iso(lead.next_touch_on),
            _money(lead.amount),
            _iso(lead.expected_close_on),
            _money(lead.revenue),
            d(lead.closed_at),
            json.dumps(lead.qualification) if lead.qualification else "{}",
            t(lead.created),
            t(lead.clock),
            d(lead.stage_changed_at),
            lead.version,
        )

    # ------------------------------------------------------------ the inside rep's part

    def _duplicate(self, lead: LeadRun) -> None:
        """The rep spots the duplicate when she opens the lead."""
        axis = lead.campaign.team.axis
        at = axis.add(lead.created, self.rng.uniform(0.2, 6) * HOUR)
        self._move(lead, A.MARK_DUPLICATE, at, lead.owner, {"duplicate_of": lead.duplicate_of})

    def _inside(self, lead: LeadRun, since: int, *, fresh: bool) -> None:
        """Dial and email until the prospect answers or the attempt policy is used up
        (the attempt that uses it up makes the lead unreachable by itself)."""
        rng = self.rng
        r = rng.random
        c = lead.campaign
        axis = c.team.axis
        rep = lead.owner
        speed = rep.staff.speed if rep else 1.0
        if fresh:
            # First contact as a share of the SLA window: most in time, some late.
            window = max(axis.offset(lead.first_contact_due) - axis.offset(lead.created), 1800)
            low, high = rates.FIRST_CONTACT_LAG.pick(rng)
            first = axis.add(lead.created, max(300, window * rng.uniform(low, high) * speed))
        else:
            first = axis.add(since, rng.uniform(0.3, 2.5) * 8 * HOUR * speed)
            self._move(lead, A.START_WORK, first, rep)

        if r() < 0.02:  # bad contact data: wrong number, bounced email, disqualified
            self._act(lead, rep, CALL, "wrong_number", first)
            at = self._act(lead, rep, EMAIL, "bounced", axis.add(first, rng.uniform(120, 900)))
            if lead.stage in _INSIDE_OPEN:
                self._move(
                    lead,
                    A.DISQUALIFY,
                    axis.add(at, rng.uniform(60, 1800)),
                    rep,
                    reason="bad_contact_data",
                )
            return

        reach = c.spec.reach * self._reach_factor(lead)
        if not fresh:
            reach *= 0.7
        slots = c.cadence
        connect_at = len(slots)
        if r() < reach:
            # Someone who will answer still takes a few tries; calls get through far
            # more often than emails get a reply.
            connect_at = 0
            while connect_at < len(slots) - 1 and r() > (
                rates.CALL_CONNECTS if slots[connect_at][1] == CALL else rates.EMAIL_REPLIES
            ):
                connect_at += 1
        at = first
        day0 = first
        for i, (day, kind) in enumerate(slots):
            if i > 0:
                at = self._later(axis, day0, day, at)
            if i == connect_at and kind == CALL:
                self._reached(lead, self._act(lead, rep, CALL, "connected", at))
                return
            if kind == CALL:
                self._act(lead, rep, CALL, rates.DIAL_MISSES.pick(rng), at)
            else:
                at = self._act(lead, rep, EMAIL, "bounced" if r() < 0.04 else "sent", at)
                if i == connect_at and lead.stage in _INSIDE_OPEN:
                    # The reply comes before the last allowed email would have run out.
                    reply = axis.add(at, rng.uniform(0.5, 6) * HOUR)
                    self._reached(lead, self._act(lead, rep, EMAIL, "replied", reply))
                    return
            if lead.stage not in _INSIDE_OPEN:
                break  # the attempt policy is used up: unreachable
        # Marketing nurtures unreachable leads and sends a few back to work.
        if lead.stage == Stage.UNREACHABLE and r() < 0.03 and lead.recycles < 2 and self.marketing:
            back = axis.in_business_day(at, rng.randint(30, 80), r())
            self._recycle(lead, back, self.marketing[int(r() * len(self.marketing))])
            self._inside(lead, back, fresh=False)

    def _recycle(self, lead: LeadRun, at: int, actor: Rep | None) -> None:
        """Back to inside work (the effect picks the rep and starts a new round of attempts)."""
        self._move(lead, A.RECYCLE, at, actor)
        lead.recycles += 1

    def _later(self, axis: BusinessAxis, day0: int, day: int, previous: int) -> int:
        """A time on business day `day` of the cadence, after the previous attempt."""
        at = axis.in_business_day(day0, day, self.rng.uniform(0.05, 0.95))
        if at <= previous:
            at = axis.add(previous, self.rng.uniform(600, 2 * HOUR))
        return at

    def _reason(self, action: str, code: str) -> int:
        """The reason code's id; if an admin retired it, the first active one of its kind."""
        kind = states.REASON_KIND[Action(action)]
        found = self.reasons.get((kind, code))
        return found if found is not None else self.reasons[(kind, "")]

    def _reach_factor(self, lead: LeadRun) -> float:
        """Who answers the phone: what the unreachable analysis should find again."""
        factor = 0.85 if lead.person.seniority == 3 else 1.0
        factor *= 1.08 if lead.company.employees < 250 else 0.95
        attended = lead.attributes.get("webinar_attended")
        if attended is not None:
            factor *= 1.25 if attended else 0.7
        factor *= rates.UTM_REACH.get(lead.attributes.get("utm_source", ""), 1.0)
        return factor

    def _reached(self, lead: LeadRun, at: int) -> None:
        """The prospect answered: out of target, not qualified, or a handoff."""
        rng = self.rng
        r = rng.random
        axis = lead.campaign.team.axis
        rep = lead.owner
        if r() < 0.4:
            at = self._act(
                lead,
                rep,
                NOTE,
                "",
                axis.add(at, rng.uniform(60, 600)),
                rng.choice(rates.INSIDE_NOTES),
            )
        if lead.out_of_target:
            non_buyer = lead.person.title in NON_BUYER_TITLES
            self._move(
                lead,
                A.DISQUALIFY,
                axis.add(at, rng.uniform(120, 1500)),
                rep,
                reason="student_or_job_seeker" if non_buyer else "out_of_target",
            )
            return
        if r() < 0.01:  # the rep never follows up: an open lead past its maximum age
            return
        quality = rep.staff.quality if rep else 1.0
        qualified = r() < min(0.6, rates.QUALIFY_BASE * (lead.score / 55) ** 2 * quality)
        # Discovery takes a few more calls; a "no" often needs a call back too.
        follow_ups = (
            rng.choice((1, 2, 2, 3, 3, 4))
            if qualified
            else (0 if r() < 0.3 else 1 if r() < 0.7 else 2)
        )
        for _ in range(follow_ups):
            when = axis.in_business_day(at, rng.randint(1, 3), r())
            if r() < 0.7:
                at = self._act(
                    lead, rep, CALL, "connected" if r() < 0.5 else "voicemail", max(when, at + 60)
                )
            else:
                at = self._act(lead, rep, EMAIL, "sent", max(when, at + 60))
        if qualified:
            self._hand_off(lead, axis.add(at, rng.uniform(300, 3600)))
        else:
            self._move(
                lead,
                A.DISQUALIFY,
                axis.add(at, rng.uniform(120, 1800)),
                rep,
                reason=rates.INSIDE_DQ.pick(rng),
            )

    # ------------------------------------------------------------ the handoff and sales

    def _hand_off(self, lead: LeadRun, at: int, avoid: Rep | None = None) -> None:
        rng = self.rng
        r = rng.random
        c = lead.campaign
        inside = lead.owner
        sales = c.team.sales_by_country.get(lead.company.country) or next(
            iter(c.team.sales_by_country.values())
        )
        reps = [
            s
            for s in sales.reps
            if s is not avoid and (s.active_until is None or at < s.active_until)
        ] or sales.reps
        rep = reps[int(r() * len(reps))]
        meeting = sales.axis.in_business_day(at, rng.randint(1, 6), rng.uniform(0.05, 0.85))
        meeting -= meeting % 1800
        if meeting <= at:
            meeting += 1800
        answers = {
            key: rng.choice(rates.BANT.get(key, ("Confirmed on the call",)))
            for key in self.criteria
        }
        p = lead.person
        self._act(
            lead,
            inside,
            MEETING,
            "scheduled",
            at,
            f"First meeting with {rep.staff.first_name} {rep.staff.last_name}",
        )
        lead.meeting = meeting
        self._move(
            lead,
            A.HAND_OFF,
            at,
            inside,
            {
                "sales_rep": rep.id,
                "meeting_at": _utc(meeting),
                "answers": answers,
                "inside_rep": _id(inside),
            },
        )
        ids = self.next_ids
        write_up = (
            f"{p.first_name} {p.last_name} ({p.title}, {lead.company.name}): "
            f"{answers.get('need', '')}. Timeline: {answers.get('timeline', '')}."
        )
        self.handoffs.append(
            (
                ids["handoff"],
                lead.id,
                _id(inside),
                rep.id,
                self.definition_id,
                json.dumps(answers),
                write_up,
                self.stamp(meeting),
                True,  # a hand-off needs the warm call (seed 003)
                self.stamp(lead.clock),
            )
        )
        ids["handoff"] += 1
        lead.handoffs += 1
        self._sales(lead, rep)

    def _sales(self, lead: LeadRun, rep: Rep) -> None:
        """Sales accepts or rejects, meets the prospect, and (mostly) reports back."""
        rng = self.rng
        r = rng.random
        axis = rep.team.axis
        feedback = rep.staff.feedback
        slow = feedback < 0.5
        if r() < (0.1 if slow else 0.01):
            return  # never answered: the handoff waits, and escalates
        answered = axis.add(
            lead.clock, rng.uniform(4, 30) * HOUR if slow else rng.uniform(0.2, 6) * HOUR
        )
        producer = lead.handed_off_by
        quality = producer.staff.quality if producer else 1.0
        if r() < min(0.6, 0.18 / quality**1.5):
            reason = rates.REJECTS.pick(rng)
            self._move(lead, A.REJECT, answered, rep, reason=reason)
            self._rejected(lead, reason, rep)
            return
        self._move(lead, A.ACCEPT, answered, rep)
        if r() < 0.04:
            self._move(
                lead,
                A.DISQUALIFY,
                axis.in_business_day(answered, rng.randint(1, 3), r()),
                rep,
                reason="existing_customer" if r() < 0.5 else "not_decision_maker",
            )
            return
        if r() > feedback:
            return  # no word from sales: the lead sits in "accepted"
        meeting = lead.meeting if lead.meeting is not None else answered
        missed = (
            rates.RECENT_NO_SHOW_RATE if meeting >= self.now - rates.RECENT else rates.NO_SHOW_RATE
        )
        if r() >= missed:
            at = self._act(lead, rep, MEETING, "held", meeting)
            self._move(lead, A.MEETING_HELD, axis.add(at, rng.uniform(0.5, 2) * HOUR), rep)
            self._after_meeting(lead, rep)
        else:
            at = self._act(lead, rep, MEETING, "no_show", meeting + 900)
            self._move(lead, A.NO_SHOW, at + int(rng.uniform(300, 2700)), rep)
            self._no_show(lead, rep)

    def _rejected(self, lead: LeadRun, reason: str, sales_rep: Rep) -> None:
        """Back with the inside rep: hand it to the right rep again, or disqualify it."""
        rng = self.rng
        r = rng.random
        axis = lead.campaign.team.axis
        rep = lead.owner
        at = max(
            axis.in_business_day(lead.clock, rng.randint(0, 2), r()), axis.add(lead.clock, 1800)
        )
        if r() < 0.05:
            return  # still in the inside rep's queue
        if reason in ("wrong_territory", "poor_write_up") and lead.handoffs < 3 and r() < 0.8:
            self._hand_off(lead, at, avoid=sales_rep)
            return
        if r() < 0.15 and lead.handoffs < 3:
            self._move(lead, A.START_WORK, at, rep)
            at = self._act(
                lead, rep, CALL, "connected", axis.in_business_day(at, rng.randint(1, 3), r())
            )
            self._hand_off(lead, axis.add(at, rng.uniform(300, 3600)), avoid=sales_rep)
            return
        codes = rates.REJECT_TO_DQ.get(reason, ("no_need", "timing"))
        self._move(lead, A.DISQUALIFY, at, rep, reason=rng.choice(codes))

    def _no_show(self, lead: LeadRun, rep: Rep) -> None:
        """The cadence of seed 004: days 1, 3, 5, then back to the inside rep by day 7."""
        rng = self.rng
        r = rng.random
        axis = rep.team.axis
        start = lead.clock
        skip = 0.05 if rep.staff.feedback >= 0.5 else 0.45
        answers_on = int(r() * 3) if r() < 0.35 else -1
        cadence = self.cadences.start(lead, rep)
        for step, day in enumerate((1, 3, 5)):
            at = axis.in_business_day(start, day, rng.uniform(0.05, 0.6))
            if r() < skip:
                continue
            if day < 5:
                at = self._act(lead, rep, CALL, "voicemail", at)
                self.cadences.done(cadence, day, "voicemail", at)
                at = self._act(
                    lead,
                    rep,
                    EMAIL,
                    "sent",
                    axis.add(at, rng.uniform(60, 900)),
                    f"Follow-up {step + 1} after the missed meeting",
                )
                self.cadences.done(cadence, day, "email", at, email=lead.person.email)
            else:
                at = self._act(
                    lead, rep, EMAIL, "sent", at, "Invitation with a new meeting time (.ics)"
                )
                proposed = axis.in_business_day(at, 2, 0.3)
                self.cadences.done(
                    cadence, day, "invitation", at, email=lead.person.email, proposed=proposed
                )
            if step == answers_on:
                again = axis.in_business_day(at, rng.randint(1, 5), rng.uniform(0.05, 0.8))
                again -= again % 1800
                at = self._act(lead, rep, MEETING, "held", max(again, at + 1800))
                self.cadences.end(cadence, "responded", at)
                self._move(lead, A.MEETING_HELD, axis.add(at, rng.uniform(0.5, 2) * HOUR), rep)
                self._after_meeting(lead, rep)
                return
        back = axis.in_business_day(start, 7, rng.uniform(0.0, 0.1))
        producer = lead.handed_off_by
        if producer is None or (
            producer.active_until is not None and back >= producer.active_until
        ):
            self._move(lead, A.LOSE, back, rep, reason="unresponsive")
            self.cadences.end(cadence, "moved_on", lead.clock)
            return
        # The tick recycles it to the inside rep who set the meeting.
        self._recycle(lead, back, None)
        self.cadences.end(cadence, "recycled", lead.clock)
        self._inside(lead, lead.clock, fresh=False)

    def _after_meeting(self, lead: LeadRun, rep: Rep) -> None:
        """The outcome sales owes after a meeting, if this rep gives feedback at all."""
        rng = self.rng
        r = rng.random
        if r() > rep.staff.feedback:
            return  # met, then silence: stuck in "meeting held"
        axis = rep.team.axis
        at = max(
            axis.in_business_day(lead.clock, rng.randint(0, 8), r()), axis.add(lead.clock, 1800)
        )
        outcome = rates.AFTER_MEETING.pick(rng)
        if outcome == "opportunity":
            self._open_opportunity(lead, rep, at)
        elif outcome == "nurture":
            self._nurture(lead, rep, at, 0)
        elif outcome == "disqualify":
            self._move(lead, A.DISQUALIFY, at, rep, reason=rates.SALES_DQ.pick(rng))
        elif outcome == "lose":
            self._move(lead, A.LOSE, at, rep, reason=rates.LOSSES.pick(rng))
        else:
            self._win(lead, rep, at, self._deal_size(lead))

    def _deal_size(self, lead: LeadRun) -> int:
        """Bigger companies buy bigger deals, with a wide spread; whole 500s."""
        size = 6000 * lead.company.employees**0.35 * self.rng.lognormvariate(0, 0.4)
        return int(min(size, 2_000_000) // 500 * 500) or 500

    def _open_opportunity(self, lead: LeadRun, rep: Rep, at: int) -> None:
        """Pipeline: an amount and a close date, then won, lost or back to nurture."""
        rng = self.rng
        r = rng.random
        axis = rep.team.axis
        amount = self._deal_size(lead)
        close_on = axis.local_date(at) + timedelta(days=rng.randint(30, 150))
        self._move(
            lead,
            A.OPEN_OPPORTUNITY,
            at,
            rep,
            {"amount": Decimal(amount).quantize(_CENTS), "expected_close_on": close_on},
        )
        # Reps who report back also keep the opportunity warm between updates.
        closes = axis.in_business_day(
            at, max(1, int(((close_on - axis.local_date(at)).days + rng.gauss(0, 12)) * 5 / 7)), r()
        )
        touch = at
        while r() < rep.staff.feedback:
            touch = axis.in_business_day(touch, rng.randint(8, 20), r())
            if touch >= closes:
                break
            kind = CALL if r() < 0.5 else EMAIL
            self._act(
                lead,
                rep,
                kind,
                ("connected" if r() < 0.6 else "voicemail") if kind == CALL else "sent",
                touch,
                rng.choice(rates.SALES_NOTES) if r() < 0.3 else "",
            )
        if r() > rep.staff.feedback:
            return  # the opportunity is never closed out
        u = r()
        if u < 0.38:
            self._win(lead, rep, closes, int(amount * rng.uniform(0.75, 1.05)) // 100 * 100)
        elif u < 0.88:
            self._move(lead, A.LOSE, closes, rep, reason=rates.LOSSES.pick(rng))
        else:
            self._nurture(lead, rep, closes, 1)

    def _win(self, lead: LeadRun, rep: Rep, at: int, revenue: int) -> None:
        self._move(lead, A.WIN, at, rep, {"revenue": Decimal(revenue).quantize(_CENTS)})

    def _nurture(self, lead: LeadRun, rep: Rep, at: int, depth: int) -> None:
        """Sales keeps the lead with a next touch date; sloppy reps let the date pass."""
        rng = self.rng
        r = rng.random
        axis = rep.team.axis
        days = rng.randint(21, 120)
        touch_on = axis.local_date(at) + timedelta(days=days)
        self._move(lead, A.NURTURE, at, rep, {"next_touch_on": touch_on})
        if depth >= 3 or r() > rep.staff.feedback:
            return  # purgatory once the date passes
        touch = axis.in_business_day(at, max(1, days * 5 // 7), r())
        touch = self._act(lead, rep, CALL, "connected" if r() < 0.5 else "voicemail", touch)
        u = r()
        later = axis.add(touch, rng.uniform(600, 4 * HOUR))
        if u < 0.3:
            self._open_opportunity(lead, rep, later)
        elif u < 0.65:
            self._nurture(lead, rep, later, depth + 1)
        elif u < 0.85:
            self._move(lead, A.LOSE, later, rep, reason="timing" if r() < 0.5 else "no_decision")
        else:
            self._move(
                lead, A.DISQUALIFY, later, rep, reason="no_budget" if r() < 0.5 else "no_need"
            )


def _gone(actor: Rep | None, at: int) -> bool:
    """A rep who has left does nothing any more; her open leads wait for a manager."""
    return actor is not None and actor.active_until is not None and at >= actor.active_until


def _id(rep: Rep | None) -> int | None:
    return rep.id if rep is not None else None


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _money(value: Decimal | None) -> str | None:
    return str(value) if value is not None else None
