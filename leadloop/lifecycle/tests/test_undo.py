"""Taking back an attempt logged by mistake: within seconds, by its own rep, only while
nothing followed it; the lead goes back to what it was and the history says so."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leadloop.leads.choices import EventKind, Stage
from leadloop.leads.models import Lead, LeadEvent
from leadloop.lib import pages
from leadloop.lib.errors import NotPermitted
from leadloop.lifecycle.activities import log_activity
from leadloop.lifecycle.transitions import lead_transition
from leadloop.lifecycle.undo import UNDO_WINDOW, NotUndoable, undo_activity, undo_offer
from leadloop.outreach.models import Activity
from leadloop.sla.choices import ClockKind, ClockResult
from leadloop.sla.models import SlaClock
from leadloop.testing import NOW, World, client_for, make_lead

pytestmark = pytest.mark.django_db


def working_lead(world: World) -> Lead:
    lead = make_lead(world.a, owner=world.a.inside, now=NOW)
    lead_transition(
        lead=lead, action="start_work", actor=world.a.inside, now=NOW + timedelta(minutes=1)
    )
    return Lead.objects.get(pk=lead.pk)


def test_undo_puts_the_lead_back_as_it_was(world: World) -> None:
    lead = working_lead(world)
    logged_at = NOW + timedelta(minutes=2)
    call = log_activity(
        lead=lead.pk, actor=world.a.inside, kind="call", outcome="connected", now=logged_at
    )
    after = Lead.objects.get(pk=lead.pk)
    assert (after.dials, after.connects, after.first_contact_at) == (1, 1, logged_at)
    first = SlaClock.objects.get(lead=lead, kind=ClockKind.FIRST_CONTACT)
    assert first.result == ClockResult.MET

    undone = undo_activity(
        activity=call.pk, actor=world.a.inside, now=logged_at + timedelta(seconds=4)
    )

    assert not Activity.objects.filter(pk=call.pk).exists()
    assert (undone.dials, undone.round_dials, undone.connects, undone.round_connects) == (
        0,
        0,
        0,
        0,
    )
    assert undone.first_contact_at is None and undone.last_activity_at is None
    assert undone.stage == Stage.WORKING and undone.version == after.version + 1
    first.refresh_from_db()
    assert (first.result, first.stopped_at) == (ClockResult.RUNNING, None)
    event = LeadEvent.objects.filter(lead=lead, kind=EventKind.EDITED).latest("pk")
    assert event.actor == world.a.inside
    assert event.data["fields"]["dials"] == {"from": "1", "to": "0"}
    assert "undone: the call (connected)" in event.data["note"]


def test_only_within_the_window_and_only_by_the_rep_who_logged_it(world: World) -> None:
    lead = working_lead(world)
    at = NOW + timedelta(minutes=2)
    call = log_activity(
        lead=lead.pk, actor=world.a.inside, kind="call", outcome="no_answer", now=at
    )
    with pytest.raises(NotPermitted):
        undo_activity(activity=call.pk, actor=world.a.tele_manager, now=at)
    with pytest.raises(NotUndoable, match="too late to undo"):
        undo_activity(
            activity=call.pk, actor=world.a.inside, now=at + UNDO_WINDOW + timedelta(seconds=1)
        )
    assert Activity.objects.filter(pk=call.pk).exists()
    assert undo_offer(lead=Lead.objects.get(pk=lead.pk), user=world.a.inside, now=at) == call
    assert undo_offer(lead=Lead.objects.get(pk=lead.pk), user=world.a.tele_manager, now=at) is None


def test_an_attempt_that_moved_the_lead_stays(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside, now=NOW)
    at = NOW + timedelta(minutes=2)
    # The first attempt on a new lead starts work on it: others saw that move.
    call = log_activity(
        lead=lead.pk, actor=world.a.inside, kind="call", outcome="no_answer", now=at
    )
    assert Lead.objects.get(pk=lead.pk).stage == Stage.WORKING
    with pytest.raises(NotUndoable, match="moved the lead on"):
        undo_activity(activity=call.pk, actor=world.a.inside, now=at + timedelta(seconds=2))
    assert Lead.objects.get(pk=lead.pk).dials == 1


def test_an_earlier_attempt_waits_for_the_later_one(world: World) -> None:
    lead = working_lead(world)
    at = NOW + timedelta(minutes=2)
    first = log_activity(
        lead=lead.pk, actor=world.a.inside, kind="call", outcome="no_answer", now=at
    )
    log_activity(
        lead=lead.pk,
        actor=world.a.inside,
        kind="email",
        outcome="sent",
        now=at + timedelta(seconds=1),
    )
    with pytest.raises(NotUndoable, match="undo that one first"):
        undo_activity(activity=first.pk, actor=world.a.inside, now=at + timedelta(seconds=3))


def test_the_lead_page_offers_undo_and_the_button_takes_it_back(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead = working_lead(world)
    at = NOW + timedelta(minutes=2)
    monkeypatch.setattr(pages, "clock", lambda: at)
    client = client_for(world.a.inside)
    client.post(f"/leads/{lead.pk}/activities", {"kind": "call", "outcome": "voicemail"})
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert "Call (voicemail) logged." in page
    assert "Logged: <strong>Call · Voicemail</strong>" in page and 'data-key="u"' in page
    call = Activity.objects.get(lead=lead)
    monkeypatch.setattr(pages, "clock", lambda: at + timedelta(seconds=5))
    response = client.post(f"/leads/{lead.pk}/activities/undo", {"activity": call.pk})
    assert response.status_code == 302
    assert not Activity.objects.filter(lead=lead).exists()
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert "Undone: the attempt is gone" in page and 'data-key="u"' not in page
    # Too late is said, not done.
    call = log_activity(
        lead=lead.pk, actor=world.a.inside, kind="call", outcome="no_answer", now=at
    )
    monkeypatch.setattr(pages, "clock", lambda: at + timedelta(minutes=5))
    response = client.post(f"/leads/{lead.pk}/activities/undo", {"activity": call.pk})
    assert response.status_code == 409 and "too late to undo" in response.content.decode()
