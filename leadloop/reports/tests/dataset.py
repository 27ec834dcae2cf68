"""A small known dataset for the report tests, built through the real services.

Alpha (web request for information: first contact within 12 business hours,
concluded within 7 business days, sales accepts within 1 business day,
records the meeting within 2, gives feedback within 10) and Beta (webinar:
first contact within 5 business days). Every team works Monday to Friday,
09:00-17:00 Berlin. NOW is Tuesday 17 November 2026, 10:00 in Berlin; the
reports are read on Monday 30 November, 13:00 (REPORT_NOW), over November.

    A1  Alpha, inside      called, reached, handed off, accepted in 2 h, meeting held,
                           opportunity 10,000, won 12,000
    A2  Alpha, inside      5 dials and 3 emails, nobody answers: unreachable
    A3  Alpha, inside2     reached, disqualified (no budget); Retail
    A4  Alpha, inside      never touched: both inside clocks late, past the max open age
    A5  Alpha, inside      reached, handed off, rejected late (not qualified)
    A6  Alpha, inside2     came in a day later; handed off, accepted in 1 h, no-show,
                           recycled back to her
    B1  Beta, inside       a reply, then disqualified (out of target market); Software
    B2  Beta, inside       a duplicate of B1
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from leadloop.accounts.models import User
from leadloop.leads.models import Lead
from leadloop.lifecycle.activities import log_activity
from leadloop.lifecycle.transitions import lead_transition
from leadloop.reports.filters import ReportFilters
from leadloop.sla.choices import INSIDE_KINDS
from leadloop.sla.models import SlaClock
from leadloop.testing import BANT, NOW, Side, World, make_lead

REPORT_NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
NOVEMBER = ReportFilters(date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))


def at(days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
    return NOW + timedelta(days=days, hours=hours, minutes=minutes)


@dataclass
class Data:
    world: World
    leads: dict[str, Lead]

    def __getitem__(self, key: str) -> Lead:
        return self.leads[key]


def lead_of(side: Side, owner: User, **fields: object) -> Lead:
    """`testing.make_lead`, with the intake clocks owed by `owner` too.

    make_lead re-points the owner after intake; the clocks intake started
    still name the round robin's pick, so they are re-pointed the same way,
    as if the round robin had picked `owner`.
    """
    lead = make_lead(side, owner=owner, **fields)  # type: ignore[arg-type]
    SlaClock.objects.filter(lead=lead, kind__in=INSIDE_KINDS).update(user=owner)
    return lead


def _call(lead: Lead, actor: object, outcome: str, when: datetime) -> None:
    log_activity(lead=lead, actor=actor, kind="call", outcome=outcome, now=when)  # type: ignore[arg-type]


def _email(lead: Lead, actor: object, outcome: str, when: datetime) -> None:
    log_activity(lead=lead, actor=actor, kind="email", outcome=outcome, now=when)  # type: ignore[arg-type]


def _hand_off(world: World, lead: Lead, actor: object, when: datetime, meeting: datetime) -> None:
    lead_transition(
        lead=lead,
        action="hand_off",
        actor=actor,  # type: ignore[arg-type]
        now=when,
        data={
            "sales_rep": world.a.sales_rep.pk,
            "meeting_at": meeting,
            "answers": BANT,
            "write_up": "Ready to talk.",
            "warm_call_confirmed": True,
        },
    )


def build(world: World) -> Data:
    a, b = world.a, world.b
    sales = a.sales_rep
    leads: dict[str, Lead] = {}

    a1 = leads["A1"] = lead_of(a, a.inside, industry="Software", employees=120)
    _call(a1, a.inside, "no_answer", at(hours=1))
    _call(a1, a.inside, "connected", at(hours=2))
    _hand_off(world, a1, a.inside, at(hours=3), at(days=2))
    lead_transition(lead=a1, action="accept", actor=sales, now=at(hours=5))
    lead_transition(lead=a1, action="meeting_held", actor=sales, now=at(days=2, hours=2))
    lead_transition(
        lead=a1, action="open_opportunity", actor=sales, now=at(days=3), data={"amount": "10000"}
    )
    lead_transition(lead=a1, action="win", actor=sales, now=at(days=6), data={"revenue": "12000"})

    a2 = leads["A2"] = lead_of(a, a.inside, industry="Software", employees=15)
    for i in range(5):
        _call(a2, a.inside, "no_answer", at(hours=1 + i))
    for i in range(3):
        _email(a2, a.inside, "sent", at(days=1, hours=i))

    a3 = leads["A3"] = lead_of(a, a.inside2, industry="Retail", employees=15)
    _call(a3, a.inside2, "connected", at(minutes=30))
    lead_transition(
        lead=a3,
        action="disqualify",
        actor=a.inside2,
        now=at(hours=1),
        data={"reason_code": "no_budget"},
    )

    leads["A4"] = lead_of(a, a.inside, industry="Retail")

    a5 = leads["A5"] = lead_of(a, a.inside, industry="Software", employees=120)
    _call(a5, a.inside, "connected", at(hours=1))
    _hand_off(world, a5, a.inside, at(hours=2), at(days=2))
    lead_transition(
        lead=a5, action="reject", actor=sales, now=at(days=2), data={"reason_code": "not_qualified"}
    )

    a6 = leads["A6"] = lead_of(a, a.inside2, now=at(days=1), industry="Retail", employees=15)
    _call(a6, a.inside2, "connected", at(days=1, hours=1))
    _hand_off(world, a6, a.inside2, at(days=1, hours=2), at(days=3))
    lead_transition(lead=a6, action="accept", actor=sales, now=at(days=1, hours=3))
    lead_transition(lead=a6, action="no_show", actor=sales, now=at(days=3, hours=1))
    lead_transition(lead=a6, action="recycle", actor=sales, now=at(days=6))

    b1 = leads["B1"] = lead_of(b, b.inside, industry="Software", employees=120)
    _email(b1, b.inside, "replied", at(hours=1))
    lead_transition(
        lead=b1,
        action="disqualify",
        actor=b.inside,
        now=at(hours=2),
        data={"reason_code": "out_of_target"},
    )

    b2 = leads["B2"] = lead_of(b, b.inside, industry="Software", employees=120)
    lead_transition(
        lead=b2,
        action="mark_duplicate",
        actor=b.inside,
        now=at(minutes=30),
        data={"duplicate_of": b1.pk},
    )
    for key, lead in leads.items():
        leads[key] = Lead.objects.get(pk=lead.pk)
    return Data(world=world, leads=leads)
