"""The inside rep's workspace rules: claims, next lead, reassignment, qualification, suggestions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from leadloop.accounts.models import Team, TerritoryRule
from leadloop.accounts.services import create_user
from leadloop.handoff.assignment import suggest_sales_reps
from leadloop.leads.choices import EventKind
from leadloop.leads.models import Lead, LeadEvent
from leadloop.leads.queues import QueueFilters, queue_leads, queue_rows
from leadloop.lib.errors import LeadClaimed, NotPermitted, StaleLead
from leadloop.lifecycle.activities import log_activity
from leadloop.lifecycle.assignment import reassign_leads
from leadloop.lifecycle.claims import claim_lead, release_claim, take_next_lead
from leadloop.lifecycle.qualification import save_qualification
from leadloop.lifecycle.transitions import lead_transition
from leadloop.sla.choices import ClockKind
from leadloop.sla.models import SlaClock
from leadloop.testing import BANT, NOW, PASSWORD, World, hand_off, make_lead


def test_a_claim_keeps_others_out_until_it_runs_out(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    manager = world.a.tele_manager
    assert claim_lead(lead=lead, user=manager, now=NOW).won
    # The owner herself is refused while her manager holds it...
    assert not claim_lead(lead=lead, user=world.a.inside, now=NOW + timedelta(minutes=5)).won
    with pytest.raises(LeadClaimed, match="is working lead"):
        log_activity(lead=lead, actor=world.a.inside, kind="call", outcome="no_answer", now=NOW)
    with pytest.raises(LeadClaimed):
        lead_transition(lead=lead, action="start_work", actor=world.a.inside, now=NOW)
    # ...the system never is...
    log_activity(lead=lead, actor=manager, kind="note", now=NOW)
    # ...and after 15 minutes the claim has run out.
    later = NOW + timedelta(minutes=16)
    log_activity(lead=lead, actor=world.a.inside, kind="call", outcome="no_answer", now=later)
    assert claim_lead(lead=lead, user=world.a.inside, now=later).won
    assert release_claim(lead=lead, user=world.a.inside)
    assert not release_claim(lead=lead, user=manager)


def test_next_lead_takes_the_most_urgent_unclaimed_one(world: World) -> None:
    rep = world.a.inside
    breached = make_lead(world.a, owner=rep, now=NOW - timedelta(days=5), last_name="Breached")
    due_soon = make_lead(world.a, owner=rep, now=NOW - timedelta(hours=2), last_name="Soon")
    make_lead(world.a, owner=rep, now=NOW, last_name="Fresh")
    leads = queue_leads(rep, rep, QueueFilters(), NOW)
    # A colleague (her manager, say) is already on the breached one.
    claim_lead(lead=breached, user=world.a.tele_manager, now=NOW)
    first = take_next_lead(user=rep, leads=leads, now=NOW)
    assert first is not None and first.pk == due_soon.pk
    assert first.claimed_by_id == rep.pk
    # Asking again gives her own claimed lead back, not a new one.
    again = take_next_lead(user=rep, leads=queue_leads(rep, rep, QueueFilters(), NOW), now=NOW)
    assert again is not None and again.pk == due_soon.pk
    rows = queue_rows(queue_leads(rep, rep, QueueFilters(), NOW), rep, NOW)
    assert [r.lead.last_name for r in rows] == ["Breached", "Soon", "Fresh"]
    assert rows[0].breached and rows[0].claimed_by_other
    assert rows[1].clocks[0].kind == ClockKind.FIRST_CONTACT and rows[1].clocks[0].left > timedelta(
        0
    )


def test_queue_filters(world: World) -> None:
    rep = world.a.inside
    make_lead(world.a, owner=rep, last_name="Web")
    worked = make_lead(world.a, owner=rep, last_name="Worked")
    lead_transition(lead=worked, action="start_work", actor=rep, now=NOW)
    assert {
        lead.last_name for lead in queue_leads(rep, rep, QueueFilters(stage="working"), NOW)
    } == {"Worked"}
    assert not queue_leads(rep, rep, QueueFilters(channel="webinar"), NOW).exists()
    assert queue_leads(rep, rep, QueueFilters(campaign=world.a.campaign.pk), NOW).count() == 2


def test_manager_reassigns_with_an_event_per_lead(world: World) -> None:
    leads = [make_lead(world.a, owner=world.a.inside) for _ in range(3)]
    moved = reassign_leads(
        lead_ids=[lead.pk for lead in leads],
        to_rep=world.a.inside2,
        actor=world.a.tele_manager,
        now=NOW,
    )
    assert sorted(moved) == sorted(lead.pk for lead in leads)
    assert set(Lead.objects.filter(pk__in=moved).values_list("owner", flat=True)) == {
        world.a.inside2.pk
    }
    events = LeadEvent.objects.filter(kind=EventKind.ASSIGNED, actor=world.a.tele_manager)
    assert events.count() == 3
    assert all(e.data["previous_owner"] == world.a.inside.pk for e in events)
    # Her clocks follow the lead.
    assert set(
        SlaClock.objects.filter(lead__in=leads, stopped_at__isnull=True).values_list(
            "user", flat=True
        )
    ) == {world.a.inside2.pk}
    # Again: nothing changes hands twice.
    assert (
        reassign_leads(lead_ids=moved, to_rep=world.a.inside2, actor=world.a.tele_manager, now=NOW)
        == []
    )


def test_reassignment_is_refused_across_teams_and_to_reps(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    beta = make_lead(world.b, owner=world.b.inside)
    with pytest.raises(NotPermitted):
        reassign_leads(lead_ids=[lead.pk], to_rep=world.a.inside2, actor=world.a.inside, now=NOW)
    with pytest.raises(NotPermitted):
        reassign_leads(
            lead_ids=[beta.pk], to_rep=world.b.inside2, actor=world.a.tele_manager, now=NOW
        )
    with pytest.raises(ValidationError) as err:
        reassign_leads(
            lead_ids=[lead.pk], to_rep=world.b.inside, actor=world.a.tele_manager, now=NOW
        )
    assert "to_rep" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        reassign_leads(
            lead_ids=[lead.pk], to_rep=world.a.sales_rep, actor=world.a.tele_manager, now=NOW
        )
    assert "to_rep" in err.value.message_dict
    assert Lead.objects.get(pk=lead.pk).owner_id == world.a.inside.pk


def test_qualification_is_saved_as_a_draft_and_handed_off(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    lead = save_qualification(lead=lead, actor=world.a.inside, answers={"budget": " 40k "}, now=NOW)
    assert lead.qualification == {"budget": "40k"}
    with pytest.raises(StaleLead):
        save_qualification(
            lead=lead, actor=world.a.inside, answers=BANT, now=NOW, expected_version=1
        )
    with pytest.raises(ValidationError) as err:
        save_qualification(lead=lead, actor=world.a.inside, answers={"colour": "blue"}, now=NOW)
    assert "answers" in err.value.message_dict
    with pytest.raises(NotPermitted):
        save_qualification(lead=lead, actor=world.a.inside2, answers=BANT, now=NOW)
    # Handing off with a criterion missing is refused, then works once answered.
    with pytest.raises(ValidationError) as err:
        lead_transition(
            lead=lead,
            action="hand_off",
            actor=world.a.inside,
            now=NOW,
            data={
                "sales_rep": world.a.sales_rep.pk,
                "meeting_at": NOW + timedelta(days=1),
                "answers": lead.qualification,
            },
        )
    assert "answers" in err.value.message_dict
    lead = hand_off(world, lead)
    assert lead.qualification == BANT
    assert LeadEvent.objects.filter(lead=lead, kind=EventKind.QUALIFICATION).count() == 1


def test_handoff_suggestions_territory_then_round_robin(world: World) -> None:
    second = create_user(
        username="alpha_sales2", role="sales_rep", team=world.a.sales, password=PASSWORD
    )
    gone = create_user(
        username="alpha_gone", role="sales_rep", team=world.a.sales, password=PASSWORD
    )
    gone.is_active = False
    gone.save()
    lead = make_lead(world.a, owner=world.a.inside, country="AT")
    reps = [s.rep.pk for s in suggest_sales_reps(lead, NOW)]
    assert gone.pk not in reps
    assert set(reps) == {world.a.sales_rep.pk, second.pk}
    # After a handoff to the first, the other one is next.
    hand_off(world, make_lead(world.a, owner=world.a.inside))
    assert suggest_sales_reps(lead, NOW)[0].rep.pk == second.pk
    # A territory rule wins over the rotation.
    TerritoryRule.objects.create(team=world.a.sales, country="AT", rep=world.a.sales_rep)
    top = suggest_sales_reps(lead, NOW)[0]
    assert top.rep.pk == world.a.sales_rep.pk and top.why == "territory AT"


def test_weighted_suggestions_favour_reps_who_give_feedback(world: World) -> None:
    good = world.a.sales_rep
    poor = create_user(
        username="alpha_poor", role="sales_rep", team=world.a.sales, password=PASSWORD
    )
    Team.objects.filter(pk=world.a.sales.pk).update(weight_handoffs_by_feedback=True)
    # Each got two handoffs; the good rep answered both, the poor one neither.
    for rep in (good, poor, good, poor):
        lead = lead_transition(
            lead=make_lead(world.a, owner=world.a.inside),
            action="hand_off",
            actor=world.a.inside,
            now=NOW,
            data={
                "sales_rep": rep.pk,
                "meeting_at": NOW + timedelta(days=2),
                "answers": BANT,
                "write_up": "Ready.",
                "warm_call_confirmed": True,
            },
        )
        if rep == good:
            lead_transition(lead=lead, action="accept", actor=good, now=NOW)
            lead_transition(
                lead=lead, action="meeting_held", actor=good, now=NOW + timedelta(days=2)
            )
            lead_transition(
                lead=lead,
                action="lose",
                actor=good,
                now=NOW + timedelta(days=2),
                data={"reason_code": "price"},
            )
    suggestions = {
        s.rep.pk: s for s in suggest_sales_reps(make_lead(world.a), NOW + timedelta(days=3))
    }
    assert suggestions[good.pk].feedback_rate == 1.0
    assert suggestions[poor.pk].feedback_rate == 0.0
    first = suggest_sales_reps(make_lead(world.a), NOW + timedelta(days=3))[0]
    assert first.rep.pk == good.pk and "weighted" in first.why


def test_queue_clocks_left_are_each_clocks_own_business_time(world: World) -> None:
    """The page's clocks are measured together; each must equal its own measurement."""
    from leadloop.accounts.calendars import team_calendar
    from leadloop.lib.businesscal import business_time_between

    rep = world.a.inside
    for days in (40, 9, 3, 1, 0):
        make_lead(world.a, owner=rep, now=NOW - timedelta(days=days, hours=days))
    later = make_lead(world.a, owner=rep, now=NOW)
    SlaClock.objects.filter(lead=later).update(due_at=NOW + timedelta(days=6, minutes=7))
    now = NOW + timedelta(hours=3)
    rows = queue_rows(queue_leads(rep, rep, QueueFilters(), now), rep, now)
    clocks = [c for row in rows for c in row.clocks]
    assert len(clocks) >= 6
    assert any(c.left < timedelta(0) for c in clocks) and any(c.left > timedelta(0) for c in clocks)
    cal = team_calendar(world.a.tele)
    for clock in clocks:
        assert clock.left == business_time_between(cal, now, clock.due_at)
