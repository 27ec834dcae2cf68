"""Attempts: no backdating past the lead or into the future, clocks stop when an attempt is
logged, and a recycled lead counts its new round while its history stays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from leadloop.followup.models import CadenceRun
from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead
from leadloop.lib import pages
from leadloop.lib.zones import zone_named
from leadloop.lifecycle.activities import log_activity
from leadloop.lifecycle.followup_sweep import run_followup
from leadloop.lifecycle.transitions import lead_transition
from leadloop.outreach.models import Activity
from leadloop.sla.choices import ClockKind, ClockResult
from leadloop.sla.models import SlaClock
from leadloop.testing import NOW, World, api, client_for, hand_off, make_lead


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "clock", lambda: NOW)


def first_contact(lead: Lead) -> SlaClock:
    return SlaClock.objects.get(lead=lead, kind=ClockKind.FIRST_CONTACT)


@pytest.mark.parametrize("shift", [timedelta(hours=-1), timedelta(hours=1)])
def test_api_an_activity_is_neither_before_its_lead_nor_in_the_future(
    world: World, shift: timedelta
) -> None:
    now = timezone.now()
    lead = make_lead(world.a, owner=world.a.inside, now=now - timedelta(minutes=30))
    when = (lead.created_at if shift < timedelta(0) else now) + shift
    body = {"kind": "call", "outcome": "no_answer", "occurred_at": when.isoformat()}
    response = api(world, world.a.inside, "post", f"/leads/{lead.pk}/activities", body)
    assert response.status_code == 422, response.content
    assert response.json()["detail"][0]["loc"][-1] == "occurred_at"
    assert not Activity.objects.filter(lead=lead).exists()


def test_api_a_late_log_of_an_early_call_does_not_meet_the_clock(world: World) -> None:
    """The rep typed a time inside the SLA, but logged the call after it ran out: breached.
    The activity keeps both times, and answers them in UTC."""
    now = timezone.now()
    lead = make_lead(world.a, owner=world.a.inside, now=now - timedelta(days=10))
    due = first_contact(lead).due_at
    assert due < now
    typed = lead.created_at + timedelta(minutes=20)
    body = {"kind": "call", "outcome": "connected", "occurred_at": typed.isoformat()}
    response = api(world, world.a.inside, "post", f"/leads/{lead.pk}/activities", body)
    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["occurred_at"].endswith("Z") and answer["logged_at"].endswith("Z")
    clock = first_contact(lead)
    assert clock.result == ClockResult.BREACHED and clock.stopped_at is not None
    assert clock.stopped_at > due
    lead.refresh_from_db()
    assert lead.first_contact_at == clock.stopped_at  # when it was logged
    assert lead.last_activity_at == typed  # what happened, when


def test_web_an_activity_before_the_lead_is_refused_and_a_late_log_shows_both_times(
    world: World,
) -> None:
    lead = make_lead(world.a, owner=world.a.inside, now=NOW - timedelta(hours=3))
    client = client_for(world.a.inside)
    url = reverse("web:lead_activity", args=[lead.pk])
    before = (lead.created_at - timedelta(hours=1)).astimezone(zone_named(""))
    response = client.post(
        url,
        {"kind": "call", "outcome": "no_answer", "occurred_at": before.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 422
    assert "before the lead came in" in response.content.decode()
    earlier = (NOW - timedelta(hours=2)).astimezone(zone_named(""))
    response = client.post(
        url,
        {"kind": "call", "outcome": "no_answer", "occurred_at": earlier.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 302
    page = client.get(reverse("web:lead_detail", args=[lead.pk])).content.decode()
    assert "<dt>Logged</dt>" in page


def recycled(world: World) -> Lead:
    """Worked (two dials, one connect), handed off, missed, recycled by the tick on day 7."""
    rep = world.a.inside
    lead = make_lead(world.a, owner=rep)
    log_activity(lead=lead, actor=rep, kind="call", outcome="no_answer", now=NOW)
    log_activity(lead=lead, actor=rep, kind="call", outcome="connected", now=NOW)
    lead = hand_off(world, lead, now=NOW + timedelta(minutes=5))
    sales = world.a.sales_rep
    lead_transition(lead=lead, action="accept", actor=sales, now=NOW + timedelta(hours=1))
    lead_transition(lead=lead, action="no_show", actor=sales, now=NOW + timedelta(days=2, hours=1))
    assert run_followup(now=NOW + timedelta(days=14)).recycled == 1
    return Lead.objects.get(pk=lead.pk)


def test_a_recycled_lead_counts_its_new_round_and_keeps_its_history(world: World) -> None:
    lead = recycled(world)
    assert lead.stage == Stage.RECYCLED
    assert (lead.dials, lead.connects) == (2, 1)  # the history stays
    assert (lead.round_dials, lead.round_emails, lead.round_connects) == (0, 0, 0)
    assert lead.first_contact_at is None  # a new first contact is owed
    page = client_for(world.a.inside).get(reverse("web:lead_detail", args=[lead.pk]))
    html = page.content.decode()
    assert "not since it came back" in html and "(2 attempts before)" in html
    assert "0 dials, 0 emails, 0 connects" in html and "2 dials, 0 emails, 1 connect in all" in html
    body = api(world, world.a.inside, "get", f"/leads/{lead.pk}").json()
    assert (body["dials"], body["round_dials"]) == (2, 0)
    log_activity(lead=lead, actor=world.a.inside, kind="call", outcome="voicemail", now=NOW)
    lead.refresh_from_db()
    assert (lead.dials, lead.round_dials) == (3, 1) and lead.first_contact_at is not None


def test_a_no_show_recorded_days_late_counts_its_cadence_from_then(world: World) -> None:
    lead = hand_off(world, make_lead(world.a, owner=world.a.inside))
    sales = world.a.sales_rep
    lead_transition(lead=lead, action="accept", actor=sales, now=NOW + timedelta(hours=1))
    # The meeting was Thu 19 Nov; the rep records the no-show a week later, Thu 26.
    recorded = NOW + timedelta(days=9)
    lead_transition(lead=lead, action="no_show", actor=sales, now=recorded)
    run = CadenceRun.objects.get(lead=lead)
    assert run.anchor_at == recorded
    assert all(task.due_at > recorded for task in run.tasks.all())  # no step is born late
    assert run.recycle_at > recorded + timedelta(days=7)
    assert run_followup(now=recorded + timedelta(minutes=1)).recycled == 0
    assert Lead.objects.get(pk=lead.pk).stage == Stage.NO_SHOW


def test_cadence_scripts_are_shown_filled_for_the_prospect_the_rep_and_the_meeting(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead = hand_off(world, make_lead(world.a, owner=world.a.inside, first_name="Mara"))
    sales = world.a.sales_rep
    lead_transition(lead=lead, action="accept", actor=sales, now=NOW + timedelta(hours=1))
    lead_transition(lead=lead, action="no_show", actor=sales, now=NOW + timedelta(days=2, hours=1))
    monkeypatch.setattr(pages, "clock", lambda: NOW + timedelta(days=3))  # Fri, day 1
    for url in (reverse("followup:tasks"), reverse("web:lead_detail", args=[lead.pk])):
        html = client_for(sales).get(url).content.decode()
        assert f"Hi Mara, this is {sales}" in html
        assert "Thu 19 Nov 2026, 10:00" in html  # the missed meeting, on the team's clock
        assert "{first_name}" not in html and "{rep_name}" not in html and "{meeting}" not in html
