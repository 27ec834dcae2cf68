"""Each demo lead's story, played through the lifecycle in Python and emitted as rows.

A lead is created, assigned, called and emailed on its team's business
calendar, and then reached or not, qualified or not, handed off, accepted or
rejected, met, recycled, won or lost, each with the rates the seeds describe
(20-50 % unreachable, 100-500 dials per qualified lead, about a fifth of
meetings no-shows, ...). Every stage change goes through the lifecycle table
(`leads.states.TRANSITIONS`) and writes the event and the lead columns the
real services would write, so reports built on either agree.

A step that would happen after `now` has not happened yet: the story stops
there, which is what leaves recent leads open in the queues.

Rows are plain tuples in the column order of `LEAD_FIELDS` etc.; times are
already formatted for the database by the `Stamp` the writer supplies.
"""

from __future__ import annotations

import json
import random
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from leadloop.accounts.models import Team
from leadloop.campaigns.choices import Channel
from leadloop.campaigns.models import Campaign, SourcePolicy
from leadloop.demo.cadences import CadenceBook
from leadloop.demo.clocks import ClockBook
from leadloop.demo.fake import NON_BUYER_TITLES, Company, Directory, Person, Weighted, ascii_slug
from leadloop.demo.org import CampaignSpec, Staff
from leadloop.demo.timeline import BusinessAxis
from leadloop.leads import identity, states
from leadloop.leads.choices import Action, EventKind
from leadloop.lib.businesscal import Calendar
from leadloop.outreach.choices import CONNECT_OUTCOMES, ActivityKind
from leadloop.sla import rules as sla_rules
from leadloop.sla.choices import ClockKind

LEAD_FIELDS = (
    "id",
    "first_name",
    "last_name",
    "title",
    "email",
    "phone",
    "company",
    "industry",
    "employees",
    "revenue_band",
    "country",
    "region",
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
    "score",
    "score_breakdown",
    "priority",
    "first_contact_due",
    "first_contact_at",
    "conclude_due",
    "dials",
    "emails",
    "connects",
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
# The lifecycle table with plain strings, for the hot loop.
_MOVES: dict[tuple[str, str], str] = {
    (str(stage), str(action)): str(to)
    for stage, moves in states.TRANSITIONS.items()
    for action, to in moves.items()
}
_OPEN = frozenset(str(s) for s in states.OPEN_STAGES)
_CONNECTS = frozenset(CONNECT_OUTCOMES)
_CREATED, _ASSIGNED, _TRANSITION = (
    str(k) for k in (EventKind.CREATED, EventKind.ASSIGNED, EventKind.TRANSITION)
)
_EMPTY = "{}"
_FIRST_CONTACT, _UPDATE, _MEETING_OUTCOME = (
    str(k) for k in (ClockKind.FIRST_CONTACT, ClockKind.UPDATE, ClockKind.MEETING_OUTCOME)
)
_UPDATED_BY_ACTIVITY = frozenset({"nurture", "opportunity"})
_UNASSIGNED = json.dumps({"owner": None, "why": "no active inside rep on the team"})
HOUR = 3600
# A quarter of meetings are missed. In the last days before `now` the demo
# misses more of them, so that some no-show cadences are still running when
# the demo opens and the sales reps' task lists have steps due: with a few
# handoffs a week, a quarter of them would often leave those pages empty.
NO_SHOW_RATE = 0.25
RECENT_NO_SHOW_RATE = 0.6
RECENT = 10 * 24 * HOUR
# Chance an in-target prospect who answered qualifies, at a score of 55; tuned so
# that about 3-4 % of all leads are handed off (100-500 dials per qualified lead).
QUALIFY_BASE = 0.043
# Per attempt, for a prospect who will be reached at all.
CALL_CONNECTS, EMAIL_REPLIES = 0.18, 0.07

# Stamp: epoch seconds -> the database's text for a timestamp.
Stamp = Callable[[int], str]


class Later(Exception):
    """The next step falls after `now`: it has not happened yet, the story stops."""


# ---------------------------------------------------------------- what the story draws from

# When an inside rep first tries a new lead, as a share of its first-contact window.
_FIRST_CONTACT_LAG = Weighted(
    [((0.03, 0.5), 55.0), ((0.5, 1.0), 25.0), ((1.0, 2.0), 12.0), ((2.0, 5.0), 8.0)]
)
_DIAL_MISSES = Weighted(
    [("no_answer", 40.0), ("voicemail", 42.0), ("gatekeeper", 15.0), ("wrong_number", 3.0)]
)
_INSIDE_DQ = Weighted(
    [
        ("no_need", 26.0),
        ("timing", 24.0),
        ("no_budget", 20.0),
        ("not_decision_maker", 15.0),
        ("competitor", 10.0),
        ("existing_customer", 5.0),
    ]
)
_SALES_DQ = Weighted(
    [
        ("no_budget", 25.0),
        ("no_need", 25.0),
        ("timing", 20.0),
        ("not_decision_maker", 15.0),
        ("competitor", 15.0),
    ]
)
_REJECTS = Weighted(
    [
        ("not_qualified", 30.0),
        ("not_decision_maker", 20.0),
        ("out_of_target", 10.0),
        ("existing_opportunity", 8.0),
        ("wrong_territory", 10.0),
        ("poor_write_up", 15.0),
        ("duplicate", 7.0),
    ]
)
_LOSSES = Weighted(
    [
        ("price", 25.0),
        ("competitor", 25.0),
        ("no_decision", 20.0),
        ("no_budget", 10.0),
        ("product_fit", 10.0),
        ("timing", 10.0),
    ]
)
_AFTER_MEETING = Weighted(
    [("opportunity", 42.0), ("nurture", 18.0), ("disqualify", 20.0), ("lose", 15.0), ("win", 5.0)]
)
# What an inside rep records after sales rejected her lead, by the rejection reason.
_REJECT_TO_DQ = {
    "not_qualified": ("no_budget", "no_need", "timing"),
    "not_decision_maker": ("not_decision_maker",),
    "out_of_target": ("out_of_target",),
    "existing_opportunity": ("existing_customer",),
    "duplicate": ("duplicate",),
}

_CHANNEL_POINTS: dict[str, int] = {
    Channel.INBOUND_CALL: 22,
    Channel.WEB_RFI: 18,
    Channel.REFERRAL: 20,
    Channel.WEBINAR: 8,
    Channel.TRADE_SHOW: 10,
    Channel.EVENT: 10,
    Channel.MAILING: 4,
    Channel.PURCHASED_LIST: 0,
    Channel.OTHER: 6,
}
_BANT = {
    "budget": (
        "Budget approved for this fiscal year",
        "50k set aside in the H2 plan",
        "CFO signed off a pilot budget",
        "Replacing a tool; its budget moves over",
        "Needs a business case, money is there",
        "Part of the sales-ops budget",
    ),
    "authority": (
        "Decides together with the CFO",
        "Head of Sales, has the final say",
        "Champion; the VP signs",
        "Managing director decides alone",
        "Leads a buying committee of three",
    ),
    "need": (
        "Leads get lost between marketing and sales",
        "No follow-up SLA; web leads go stale",
        "Inside reps never hear what happened to their leads",
        "Lead routing is done in spreadsheets",
        "Cannot tell which campaigns produce revenue",
    ),
    "timeline": (
        "This quarter",
        "Within three months",
        "Before the new fiscal year",
        "Current contract ends in four months",
        "Within six months",
    ),
}
_INSIDE_NOTES = (
    "Spoke briefly, asked for a call back next week",
    "Interested; wants pricing before a meeting",
    "Evaluating two vendors right now",
    "Gatekeeper gave me the direct line",
    "Asked for a one-pager by email",
    "Works with the sales-ops lead on this",
)
_SALES_NOTES = (
    "Sent proposal",
    "Pricing discussed, waiting for procurement",
    "Demo for the wider team scheduled",
    "Security questionnaire returned",
    "Champion on holiday, follow up in two weeks",
)
_UTM = Weighted(
    [("google", 45.0), ("linkedin", 20.0), ("direct", 18.0), ("newsletter", 10.0), ("bing", 7.0)]
)
_UTM_REACH = {"linkedin": 0.88, "direct": 1.12, "newsletter": 1.05}


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
        self.assigned_data = json.dumps({"owner": self.id, "why": "territory or round robin"})


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
        self.created_data = json.dumps(
            {"campaign": self.campaign.pk, "channel": self.campaign.channel}
        )


def attempt_cadence(max_dials: int, max_emails: int) -> list[tuple[int, str]]:
    """(business day, call or email) of every attempt the policy allows, in order.

    Calls on days 0, 1, 3, 5, 7, ... and emails on days 0, 2, 5, 9, ...: the
    usual spread of five dials and three emails over a week and a half.
    """
    calls = [(0 if i == 0 else 2 * i - 1, CALL) for i in range(max_dials)]
    emails = [(j * (j + 3) // 2, EMAIL) for j in range(max_emails)]
    return sorted(calls + emails, key=lambda slot: (slot[0], slot[1] != CALL))


class LeadRun:
    """The mutable columns of one lead while its story is played."""

    __slots__ = (
        "amount",
        "attributes",
        "attributes_json",
        "campaign",
        "clock",
        "clocks",
        "closed_at",
        "company",
        "conclude_due",
        "connects",
        "created",
        "dials",
        "duplicate_of",
        "emails",
        "expected_close_on",
        "first_contact_at",
        "first_contact_due",
        "handed_off_at",
        "handed_off_by",
        "handoffs",
        "id",
        "last_activity_at",
        "meeting_at",
        "next_touch_on",
        "out_of_target",
        "owner",
        "person",
        "person_key",
        "qualification",
        "reason",
        "recycles",
        "revenue",
        "sales_rep",
        "score",
        "stage",
        "stage_changed_at",
        "version",
    )

    def __init__(
        self,
        lead_id: int,
        created: int,
        campaign: CampaignRun,
        *,
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
        self.created = self.clock = self.stage_changed_at = created
        self.campaign = campaign
        self.company, self.person, self.person_key = company, person, person_key
        self.out_of_target, self.duplicate_of, self.score = out_of_target, duplicate_of, score
        self.attributes, self.attributes_json = attributes, attributes_json
        self.stage = "new"
        self.version = 1
        self.owner: Rep | None = None
        self.sales_rep: Rep | None = None
        self.handed_off_by: Rep | None = None
        self.reason: int | None = None
        self.first_contact_at: int | None = None
        self.last_activity_at: int | None = None
        self.meeting_at: int | None = None
        self.handed_off_at: int | None = None
        self.closed_at: int | None = None
        self.next_touch_on: date | None = None
        self.expected_close_on: date | None = None
        self.amount: int | None = None
        self.revenue: int | None = None
        self.dials = self.emails = self.connects = 0
        self.handoffs = self.recycles = 0
        self.qualification = _EMPTY
        self.first_contact_due = self.conclude_due = created
        # The open SLA clocks, by kind (see demo.clocks).
        self.clocks: dict[str, Any] = {}


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
        reasons: dict[tuple[str, str], int],
        definition_id: int,
        criteria: Sequence[str],
        next_ids: dict[str, int],
    ) -> None:
        self.rng = rng
        self.now = now
        self.stamp = stamp
        self.marketing = marketing
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
        self._plans: dict[tuple[str, str, str], sla_rules.ClockPlan] = {}

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
        team = campaign.team
        lead.owner = self._assign(team, lead.company.country, created)
        self.book.open(lead, sla_rules.clocks_for("new"), created, owner=lead.owner, sales=None)
        owner = lead.owner
        self._event(lead, _CREATED, created, campaign.created_data, to_stage="new")
        self._event(lead, _ASSIGNED, created, owner.assigned_data if owner else _UNASSIGNED)
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
            + _CHANNEL_POINTS.get(c.campaign.channel, 5)
            + rng.gauss(0, 9)
        )
        attributes, text = self._attributes(c.campaign.channel)
        return LeadRun(
            lead_id,
            created,
            c,
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
            found = {"utm_source": _UTM.pick(self.rng), "form": "contact"}
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
        *,
        owner: Rep | None = None,
        sales: Rep | None = None,
    ) -> None:
        """One stage change through the lifecycle table, as `lead_transition` writes it.

        `owner` and `sales` are who owes the clocks the move starts, when the
        caller assigns them with the move (a handoff, a recycle).
        """
        if at >= self.now or _gone(actor, at):
            raise Later
        if at < lead.clock:
            at = lead.clock
        from_stage = lead.stage
        to_stage = _MOVES[(from_stage, action)]
        reason_id = None
        if reason is not None:
            reason_id = lead.reason = self._reason(action, reason)
        self._event(
            lead,
            _TRANSITION,
            at,
            json.dumps(data) if data else _EMPTY,
            action=action,
            actor=_id(actor),
            from_stage=from_stage,
            to_stage=to_stage,
            reason=reason_id,
        )
        self._clocks(lead, from_stage, to_stage, action, at, owner, sales)
        if to_stage not in _OPEN:
            lead.closed_at = at
        elif from_stage not in _OPEN:
            lead.closed_at = None
        lead.stage = to_stage
        lead.stage_changed_at = lead.clock = at
        lead.version += 1

    def _clocks(
        self,
        lead: LeadRun,
        from_stage: str,
        to_stage: str,
        action: str,
        at: int,
        owner: Rep | None,
        sales: Rep | None,
    ) -> None:
        """Stop and start clocks as `sla.services.apply_transition` does."""
        key = (from_stage, to_stage, action)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = sla_rules.clock_plan(from_stage, to_stage, action)
        closing = to_stage not in _OPEN
        if closing or plan.stop:
            self.book.stop(lead, None if closing else plan.stop, at, action, cancel=plan.cancel)
        if plan.start:
            base = None
            if _MEETING_OUTCOME in plan.start and lead.meeting_at is not None:
                base = {_MEETING_OUTCOME: lead.meeting_at}
            self.book.open(
                lead,
                plan.start,
                at,
                owner=owner or lead.owner,
                sales=sales or lead.sales_rep,
                base=base,
            )
            if _FIRST_CONTACT in plan.start:
                lead.first_contact_at = None

    def _act(
        self, lead: LeadRun, actor: Rep | None, kind: str, outcome: str, at: int, note: str = ""
    ) -> int:
        """Log an activity and count it on the lead, as `log_activity` does."""
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
        if kind == CALL:
            lead.dials += 1
        if outcome == "sent" or outcome == "bounced":
            lead.emails += 1
        if outcome in _CONNECTS:
            lead.connects += 1
        if lead.first_contact_at is None and kind in (CALL, EMAIL):
            lead.first_contact_at = at
            self.book.stop(lead, (_FIRST_CONTACT,), at, kind)
        if lead.stage in _UPDATED_BY_ACTIVITY:
            self.book.stop(lead, (_UPDATE,), at, kind)
            self.book.open(lead, (_UPDATE,), at, owner=lead.owner, sales=lead.sales_rep)
        lead.last_activity_at = lead.clock = at
        return at

    def _lead_row(self, lead: LeadRun) -> tuple[Any, ...]:
        p, co, c, t = lead.person, lead.company, lead.campaign, self._t
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
            _id(lead.owner),
            _id(lead.sales_rep),
            _id(lead.handed_off_by),
            lead.duplicate_of,
            lead.reason,
            lead.score,
            "[]",
            c.policy.priority,
            t(lead.first_contact_due),
            t(lead.first_contact_at),
            t(lead.conclude_due),
            lead.dials,
            lead.emails,
            lead.connects,
            t(lead.last_activity_at),
            t(lead.meeting_at),
            t(lead.handed_off_at),
            _iso(lead.next_touch_on),
            _money(lead.amount),
            _iso(lead.expected_close_on),
            _money(lead.revenue),
            t(lead.closed_at),
            lead.qualification,
            t(lead.created),
            t(lead.clock),
            t(lead.stage_changed_at),
            lead.version,
        )

    # ------------------------------------------------------------ the inside rep's part

    def _duplicate(self, lead: LeadRun) -> None:
        """The rep spots the duplicate when she opens the lead."""
        axis = lead.campaign.team.axis
        at = axis.add(lead.created, self.rng.uniform(0.2, 6) * HOUR)
        self._move(lead, A.MARK_DUPLICATE, at, lead.owner, {"duplicate_of": lead.duplicate_of})

    def _inside(self, lead: LeadRun, since: int, *, fresh: bool) -> None:
        """Dial and email until the prospect answers or the attempt policy is used up."""
        rng = self.rng
        r = rng.random
        c = lead.campaign
        axis = c.team.axis
        rep = lead.owner
        speed = rep.staff.speed if rep else 1.0
        if fresh:
            # First contact as a share of the SLA window: most in time, some late.
            window = max(axis.offset(lead.first_contact_due) - axis.offset(lead.created), 1800)
            low, high = _FIRST_CONTACT_LAG.pick(rng)
            first = axis.add(lead.created, max(300, window * rng.uniform(low, high) * speed))
        else:
            first = axis.add(since, rng.uniform(0.3, 2.5) * 8 * HOUR * speed)
            self._move(lead, A.START_WORK, first, rep)

        if r() < 0.02:  # bad contact data: wrong number, bounced email, disqualified
            self._act(lead, rep, CALL, "wrong_number", first)
            if lead.stage == "new":
                self._move(lead, A.START_WORK, first, rep)
            at = self._act(lead, rep, EMAIL, "bounced", axis.add(first, rng.uniform(120, 900)))
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
                CALL_CONNECTS if slots[connect_at][1] == CALL else EMAIL_REPLIES
            ):
                connect_at += 1
        at = first
        day0 = first
        for i, (day, kind) in enumerate(slots):
            if i > 0:
                at = self._later(axis, day0, day, at)
            if i == connect_at:
                if kind == CALL:
                    at = self._act(lead, rep, CALL, "connected", at)
                    self._started(lead, at, rep)
                else:
                    at = self._act(lead, rep, EMAIL, "sent", at)
                    self._started(lead, at, rep)
                    at = self._act(
                        lead, rep, EMAIL, "replied", axis.add(at, rng.uniform(0.5, 6) * HOUR)
                    )
                self._reached(lead, at)
                return
            if kind == CALL:
                self._act(lead, rep, CALL, _DIAL_MISSES.pick(rng), at)
            else:
                self._act(lead, rep, EMAIL, "bounced" if r() < 0.04 else "sent", at)
            self._started(lead, at, rep)
        policy = c.policy
        self._move(
            lead,
            A.MARK_UNREACHABLE,
            at,
            None,
            {
                "note": f"attempt policy exhausted: {lead.dials} dials and {lead.emails} emails "
                f"without a connect (policy {policy.max_dials} and {policy.max_emails})"
            },
        )
        # Marketing nurtures unreachable leads and sends a few back to work.
        if r() < 0.03 and lead.recycles < 2 and self.marketing:
            back = axis.in_business_day(at, rng.randint(30, 80), r())
            self._recycle(lead, back, self.marketing[int(r() * len(self.marketing))])
            self._inside(lead, back, fresh=False)

    def _recycle(self, lead: LeadRun, at: int, actor: Rep | None) -> None:
        """Back to inside work with fresh clocks and counters, as `lead_transition` does it."""
        owner = lead.owner
        if lead.stage == "no_show" and lead.handed_off_by is not None:
            owner = lead.handed_off_by
        self._move(lead, A.RECYCLE, at, actor, {"sales_rep": _id(lead.sales_rep)}, owner=owner)
        lead.owner = owner
        lead.sales_rep = None
        lead.dials = lead.emails = lead.connects = 0
        lead.recycles += 1

    def _started(self, lead: LeadRun, at: int, rep: Rep | None) -> None:
        # log_activity starts work on a new lead with its first attempt.
        if lead.stage == "new":
            self._move(lead, A.START_WORK, at, rep)

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
        factor *= _UTM_REACH.get(lead.attributes.get("utm_source", ""), 1.0)
        return factor

    def _reached(self, lead: LeadRun, at: int) -> None:
        """The prospect answered: out of target, not qualified, or a handoff."""
        rng = self.rng
        r = rng.random
        axis = lead.campaign.team.axis
        rep = lead.owner
        if r() < 0.4:
            at = self._act(
                lead, rep, NOTE, "", axis.add(at, rng.uniform(60, 600)), rng.choice(_INSIDE_NOTES)
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
        qualified = r() < min(0.6, QUALIFY_BASE * (lead.score / 55) ** 2 * quality)
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
                reason=_INSIDE_DQ.pick(rng),
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
            key: rng.choice(_BANT.get(key, ("Confirmed on the call",))) for key in self.criteria
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
        meeting_iso = datetime.fromtimestamp(meeting, sales.zone).isoformat()
        self._move(
            lead,
            A.HAND_OFF,
            at,
            inside,
            {"sales_rep": rep.id, "meeting_at": meeting_iso, "answers": answers},
            sales=rep,
        )
        lead.qualification = json.dumps(answers)
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
                r() < 0.8,
                self.stamp(lead.clock),
            )
        )
        ids["handoff"] += 1
        lead.sales_rep, lead.meeting_at = rep, meeting
        lead.handed_off_by, lead.handed_off_at = inside, lead.clock
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
            reason = _REJECTS.pick(rng)
            self._move(lead, A.REJECT, answered, rep, {"sales_rep": rep.id}, reason=reason)
            lead.sales_rep = None
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
        meeting = lead.meeting_at or answered
        missed = RECENT_NO_SHOW_RATE if meeting >= self.now - RECENT else NO_SHOW_RATE
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
        codes = _REJECT_TO_DQ.get(reason, ("no_need", "timing"))
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
        outcome = _AFTER_MEETING.pick(rng)
        if outcome == "opportunity":
            self._open_opportunity(lead, rep, at)
        elif outcome == "nurture":
            self._nurture(lead, rep, at, 0)
        elif outcome == "disqualify":
            self._move(lead, A.DISQUALIFY, at, rep, reason=_SALES_DQ.pick(rng))
        elif outcome == "lose":
            self._move(lead, A.LOSE, at, rep, reason=_LOSSES.pick(rng))
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
            {"amount": str(amount), "expected_close_on": close_on.isoformat()},
        )
        lead.amount, lead.expected_close_on = amount, close_on
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
                rng.choice(_SALES_NOTES) if r() < 0.3 else "",
            )
        if r() > rep.staff.feedback:
            return  # the opportunity is never closed out
        u = r()
        if u < 0.38:
            self._win(lead, rep, closes, int(amount * rng.uniform(0.75, 1.05)) // 100 * 100)
        elif u < 0.88:
            self._move(lead, A.LOSE, closes, rep, reason=_LOSSES.pick(rng))
        else:
            self._nurture(lead, rep, closes, 1)

    def _win(self, lead: LeadRun, rep: Rep, at: int, revenue: int) -> None:
        self._move(lead, A.WIN, at, rep, {"revenue": str(revenue)})
        lead.revenue = revenue

    def _nurture(self, lead: LeadRun, rep: Rep, at: int, depth: int) -> None:
        """Sales keeps the lead with a next touch date; sloppy reps let the date pass."""
        rng = self.rng
        r = rng.random
        axis = rep.team.axis
        days = rng.randint(21, 120)
        touch_on = axis.local_date(at) + timedelta(days=days)
        self._move(lead, A.NURTURE, at, rep, {"next_touch_on": touch_on.isoformat()})
        lead.next_touch_on = touch_on
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


def _money(value: int | None) -> str | None:
    return f"{value}.00" if value is not None else None
