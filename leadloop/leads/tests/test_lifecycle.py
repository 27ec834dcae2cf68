from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from leadloop.handoff.models import Handoff
from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead, LeadEvent
from leadloop.leads.states import TransitionNotAllowed
from leadloop.lib.errors import NotPermitted, StaleLead
from leadloop.lifecycle.transitions import lead_transition
from leadloop.testing import BANT, NOW, World, hand_off, make_lead


def test_full_path_to_won_writes_one_event_per_step(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    lead = lead_transition(lead=lead, action="start_work", actor=world.a.inside, now=NOW)
    lead = hand_off(world, lead)
    assert lead.stage == Stage.HANDED_OFF
    assert lead.sales_rep == world.a.sales_rep
    assert lead.handed_off_by == world.a.inside
    assert Handoff.objects.get(lead=lead).answers == BANT
    rep = world.a.sales_rep
    after = NOW + timedelta(days=3)  # a meeting's outcome comes after the meeting
    for action, data in [
        ("accept", {}),
        ("meeting_held", {}),
        ("open_opportunity", {"amount": "12000"}),
        ("win", {"revenue": "11000"}),
    ]:
        lead = lead_transition(lead=lead, action=action, actor=rep, now=after, data=data)
    assert lead.stage == Stage.WON
    assert lead.closed_at == after
    steps = list(lead.events.filter(kind="transition").values_list("action", "to_stage"))
    assert steps == [
        ("start_work", "working"),
        ("hand_off", "handed_off"),
        ("accept", "accepted"),
        ("meeting_held", "meeting_held"),
        ("open_opportunity", "opportunity"),
        ("win", "won"),
    ]


def test_not_allowed_changes_nothing(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    before = LeadEvent.objects.count()
    with pytest.raises(TransitionNotAllowed, match="'new'"):
        lead_transition(lead=lead, action="win", actor=world.admin, now=NOW, data={"revenue": 1})
    lead.refresh_from_db()
    assert lead.stage == Stage.NEW
    assert LeadEvent.objects.count() == before


@pytest.mark.parametrize(
    ("action", "data", "field"),
    [
        ("disqualify", {}, "reason_code"),
        ("disqualify", {"reason_code": "made_up"}, "reason_code"),
        ("hand_off", {"meeting_at": NOW + timedelta(days=1), "answers": BANT}, "sales_rep"),
        (
            "hand_off",
            {"sales_rep": 0, "meeting_at": NOW - timedelta(hours=1), "answers": BANT},
            "meeting_at",
        ),
        (
            "hand_off",
            {"sales_rep": 0, "meeting_at": NOW + timedelta(days=1), "answers": {"budget": "yes"}},
            "answers",
        ),
    ],
)
def test_missing_or_wrong_data_names_the_field(
    world: World, action: str, data: dict[str, object], field: str
) -> None:
    if data.get("sales_rep") == 0:
        data["sales_rep"] = world.a.sales_rep.pk
    lead = make_lead(world.a, owner=world.a.inside)
    with pytest.raises(ValidationError) as exc:
        lead_transition(lead=lead, action=action, actor=world.a.inside, now=NOW, data=data)
    assert field in exc.value.message_dict
    lead.refresh_from_db()
    assert lead.stage == Stage.NEW
    assert not Handoff.objects.exists()


def test_hand_off_to_a_sales_rep_of_an_unpaired_team_is_refused(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    with pytest.raises(ValidationError) as exc:
        lead_transition(
            lead=lead,
            action="hand_off",
            actor=world.a.inside,
            now=NOW,
            data={
                "sales_rep": world.b.sales_rep.pk,
                "meeting_at": NOW + timedelta(days=1),
                "answers": BANT,
            },
        )
    assert "sales_rep" in exc.value.message_dict


def test_rejected_handoff_returns_to_inside_rep_with_reason(world: World) -> None:
    lead = hand_off(world, make_lead(world.a, owner=world.a.inside))
    lead = lead_transition(
        lead=lead,
        action="reject",
        actor=world.a.sales_rep,
        now=NOW,
        data={"reason_code": "not_qualified", "note": "no budget really"},
    )
    assert lead.stage == Stage.REJECTED
    assert lead.owner == world.a.inside
    assert lead.sales_rep is None
    event = lead.events.get(action="reject")
    assert event.reason_code is not None and event.reason_code.code == "not_qualified"
    assert event.data["note"] == "no budget really"


def test_recycled_no_show_goes_to_the_inside_rep_who_set_the_meeting(world: World) -> None:
    lead = hand_off(world, make_lead(world.a, owner=world.a.inside))
    Lead.objects.filter(pk=lead.pk).update(owner=world.a.inside2)
    for action in ("accept", "no_show"):
        lead = lead_transition(
            lead=lead, action=action, actor=world.a.sales_rep, now=NOW + timedelta(days=3)
        )
    later = NOW + timedelta(days=9)
    lead = lead_transition(lead=lead, action="recycle", actor=None, now=later)
    assert lead.stage == Stage.RECYCLED
    assert lead.owner == world.a.inside
    assert lead.first_contact_due is not None and lead.first_contact_due > later


def test_nurture_needs_a_future_next_touch(world: World) -> None:
    lead = hand_off(world, make_lead(world.a, owner=world.a.inside))
    for action in ("accept", "meeting_held"):
        lead = lead_transition(
            lead=lead, action=action, actor=world.a.sales_rep, now=NOW + timedelta(days=3)
        )
    with pytest.raises(ValidationError) as exc:
        lead_transition(
            lead=lead,
            action="nurture",
            actor=world.a.sales_rep,
            now=NOW,
            data={"next_touch_on": "2020-01-01"},
        )
    assert "next_touch_on" in exc.value.message_dict
    lead = lead_transition(
        lead=lead,
        action="nurture",
        actor=world.a.sales_rep,
        now=NOW,
        data={"next_touch_on": "2027-02-01"},
    )
    assert lead.stage == Stage.NURTURE
    assert lead.sales_rep == world.a.sales_rep


def test_who_may_act(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    for outsider in (
        world.a.inside2,
        world.b.inside,
        world.a.sales_rep,
        world.marketing,
        world.b.tele_manager,
    ):
        with pytest.raises(NotPermitted):
            lead_transition(lead=lead, action="start_work", actor=outsider, now=NOW)
    lead = lead_transition(lead=lead, action="start_work", actor=world.a.tele_manager, now=NOW)
    assert lead.stage == Stage.WORKING
    lead = hand_off(world, lead)
    with pytest.raises(NotPermitted):
        lead_transition(lead=lead, action="accept", actor=world.a.inside, now=NOW)
    with pytest.raises(NotPermitted):
        lead_transition(lead=lead, action="accept", actor=world.b.sales_rep, now=NOW)
    lead = lead_transition(lead=lead, action="accept", actor=world.a.sales_manager, now=NOW)
    assert lead.stage == Stage.ACCEPTED


def test_stale_version_is_refused(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    seen = lead.version
    lead_transition(lead=lead, action="start_work", actor=world.a.inside, now=NOW)
    with pytest.raises(StaleLead, match="changed since you opened it"):
        lead_transition(
            lead=lead,
            action="disqualify",
            actor=world.a.inside,
            now=NOW,
            data={"reason_code": "no_need"},
            expected_version=seen,
        )
    lead.refresh_from_db()
    assert lead.stage == Stage.WORKING


def test_events_are_append_only(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    event = lead.events.first()
    assert event is not None
    event.data = {"tampered": True}
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
