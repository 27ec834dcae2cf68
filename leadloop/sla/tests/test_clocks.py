"""Clocks follow the lead: intake starts them, attempts and moves stop and restart them."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from leadloop.leads.choices import EventKind
from leadloop.leads.models import LeadEvent
from leadloop.lifecycle.activities import log_activity
from leadloop.lifecycle.transitions import lead_transition
from leadloop.sla.choices import ClockKind, ClockResult
from leadloop.sla.models import SlaClock
from leadloop.testing import NOW, World, hand_off, make_lead

BERLIN = ZoneInfo("Europe/Berlin")


def clocks(lead: object) -> dict[str, SlaClock]:
    """The latest clock of each kind on the lead."""
    out: dict[str, SlaClock] = {}
    for c in SlaClock.objects.filter(lead=lead).order_by("id"):
        out[c.kind] = c
    return out


def open_kinds(lead: object) -> set[str]:
    return set(
        SlaClock.objects.filter(lead=lead, stopped_at__isnull=True).values_list("kind", flat=True)
    )


def test_new_lead_starts_first_contact_and_conclude_clocks(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    c = clocks(lead)
    assert set(c) == {ClockKind.FIRST_CONTACT, ClockKind.CONCLUDE}
    first = c[ClockKind.FIRST_CONTACT]
    # Web RFI: 12 business hours from Tuesday 10:00 Berlin is Wednesday 14:00.
    assert first.due_at == NOW.astimezone(BERLIN).replace(day=18, hour=14)
    assert first.due_at == lead.first_contact_due
    assert c[ClockKind.CONCLUDE].due_at == lead.conclude_due
    assert first.team == world.a.tele
    assert first.result == ClockResult.RUNNING
    assert first.started_at < first.warn_at < first.due_at


def test_first_attempt_meets_first_contact(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    log_activity(
        lead=lead,
        actor=world.a.inside,
        kind="call",
        outcome="no_answer",
        now=NOW + timedelta(hours=1),
    )
    first = clocks(lead)[ClockKind.FIRST_CONTACT]
    assert first.result == ClockResult.MET
    assert first.stopped_by == "call"
    assert open_kinds(lead) == {ClockKind.CONCLUDE}
    # A note is not an attempt; a second call changes nothing.
    log_activity(
        lead=lead,
        actor=world.a.inside,
        kind="call",
        outcome="voicemail",
        now=NOW + timedelta(hours=2),
    )
    assert SlaClock.objects.filter(lead=lead, kind=ClockKind.FIRST_CONTACT).count() == 1


def test_late_first_attempt_ends_breached_with_one_event(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    late = NOW + timedelta(days=3)
    log_activity(lead=lead, actor=world.a.inside, kind="email", outcome="sent", now=late)
    first = clocks(lead)[ClockKind.FIRST_CONTACT]
    assert first.result == ClockResult.BREACHED
    assert first.breached_at == late
    events = LeadEvent.objects.filter(lead=lead, kind=EventKind.SLA_BREACHED)
    assert [e.data["clock"] for e in events] == [ClockKind.FIRST_CONTACT]


def test_handoff_starts_sales_clocks_on_the_sales_calendar(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    log_activity(lead=lead, actor=world.a.inside, kind="call", outcome="connected", now=NOW)
    lead = hand_off(world, lead, now=NOW + timedelta(hours=1))
    c = clocks(lead)
    assert c[ClockKind.CONCLUDE].result == ClockResult.MET
    assert open_kinds(lead) == {ClockKind.ACCEPT, ClockKind.FEEDBACK}
    accept = c[ClockKind.ACCEPT]
    assert accept.team == world.a.sales
    assert accept.user == world.a.sales_rep
    # Accept within one business day: Wednesday's close.
    assert accept.due_at == NOW.astimezone(BERLIN).replace(day=18, hour=17)

    lead = lead_transition(
        lead=lead, action="accept", actor=world.a.sales_rep, now=NOW + timedelta(hours=2)
    )
    c = clocks(lead)
    assert c[ClockKind.ACCEPT].result == ClockResult.MET
    outcome = c[ClockKind.MEETING_OUTCOME]
    assert outcome.started_at == lead.meeting_at  # counts from the meeting, two days ahead
    # Meeting on Thursday: two business days later is Monday's close.
    assert outcome.due_at == NOW.astimezone(BERLIN).replace(day=23, hour=17)
    assert open_kinds(lead) == {ClockKind.MEETING_OUTCOME, ClockKind.FEEDBACK}


def test_rejection_gives_the_inside_rep_a_fresh_sla(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    log_activity(lead=lead, actor=world.a.inside, kind="call", outcome="connected", now=NOW)
    lead = hand_off(world, lead, now=NOW)
    later = NOW + timedelta(days=1)
    lead = lead_transition(
        lead=lead,
        action="reject",
        actor=world.a.sales_rep,
        now=later,
        data={"reason_code": _reject_code()},
    )
    assert open_kinds(lead) == {ClockKind.FIRST_CONTACT, ClockKind.CONCLUDE}
    first = SlaClock.objects.filter(lead=lead, kind=ClockKind.FIRST_CONTACT).latest("id")
    assert first.started_at == later
    assert lead.first_contact_due == first.due_at
    assert lead.first_contact_at is None
    fb = clocks(lead)[ClockKind.FEEDBACK]
    assert fb.result == ClockResult.MET and fb.stopped_by == "reject"


def _reject_code() -> str:
    from leadloop.leads.models import ReasonCode

    return ReasonCode.objects.filter(kind="reject", is_active=True).values_list("code", flat=True)[
        0
    ]


def test_nurture_lead_is_updated_by_any_activity(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    lead = hand_off(world, lead, now=NOW)
    rep = world.a.sales_rep
    for action in ("accept", "meeting_held"):
        lead = lead_transition(lead=lead, action=action, actor=rep, now=NOW + timedelta(days=3))
    lead = lead_transition(
        lead=lead,
        action="nurture",
        actor=rep,
        now=NOW + timedelta(days=3),
        data={"next_touch_on": (NOW + timedelta(days=40)).date()},
    )
    update = clocks(lead)[ClockKind.UPDATE]
    assert update.due_at == NOW + timedelta(days=33)
    assert clocks(lead)[ClockKind.FEEDBACK].result == ClockResult.MET
    log_activity(
        lead=lead, actor=rep, kind="call", outcome="connected", now=NOW + timedelta(days=10)
    )
    updates = list(SlaClock.objects.filter(lead=lead, kind=ClockKind.UPDATE).order_by("id"))
    assert [u.result for u in updates] == [ClockResult.MET, ClockResult.RUNNING]
    assert updates[1].due_at == NOW + timedelta(days=40)
    lead = lead_transition(
        lead=lead, action="win", actor=rep, now=NOW + timedelta(days=12), data={"revenue": 5000}
    )
    assert open_kinds(lead) == set()


def test_duplicate_cancels_its_clocks(world: World) -> None:
    original = make_lead(world.a, owner=world.a.inside)
    lead = make_lead(world.a, owner=world.a.inside)
    lead_transition(
        lead=lead,
        action="mark_duplicate",
        actor=world.a.inside,
        now=NOW,
        data={"duplicate_of": original.pk},
    )
    assert {c.result for c in clocks(lead).values()} == {ClockResult.CANCELLED}


def test_transition_query_count_stays_flat(
    world: World, django_assert_max_num_queries: object
) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    log_activity(lead=lead, actor=world.a.inside, kind="call", outcome="connected", now=NOW)
    with django_assert_max_num_queries(20):  # type: ignore[operator]
        hand_off(world, lead, now=NOW)
