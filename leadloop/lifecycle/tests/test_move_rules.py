"""The rules of a move hold whichever door it comes through: the API and the web pages.

A hand-off needs its write-up and the warm call, answers are text; a lead is
marked unreachable early only by a manager with a reason; after the hand-off
only the sales side acts on a lead.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from leadloop.handoff.models import Handoff
from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead, LeadEvent
from leadloop.lib import pages
from leadloop.lifecycle.transitions import lead_transition
from leadloop.testing import BANT, NOW, World, api, client_for, hand_off, make_lead


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "clock", lambda: NOW)


def hand_off_body(world: World, **extra: object) -> dict[str, object]:
    return {
        "action": "hand_off",
        "sales_rep": world.a.sales_rep.pk,
        "meeting_at": (timezone.now() + timedelta(days=2)).isoformat(),
        "answers": BANT,
        "write_up": "Wants a pilot; CFO joins the call.",
        "warm_call_confirmed": True,
        **extra,
    }


def field_of(response: object) -> list[str]:
    return [d["loc"][-1] for d in response.json()["detail"]]  # type: ignore[attr-defined]


# ---------------------------------------------------------------- hand-off


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"write_up": ""}, "write_up"),
        ({"write_up": None}, "write_up"),
        ({"warm_call_confirmed": False}, "warm_call_confirmed"),
        ({"warm_call_confirmed": None}, "warm_call_confirmed"),
        ({"answers": {**BANT, "budget": 5}}, "answers"),
        ({"answers": ["budget", "authority"]}, "answers"),
        ({"answers": {"budget": "yes"}}, "answers"),
    ],
)
def test_api_hand_off_needs_a_write_up_the_warm_call_and_text_answers(
    world: World, change: dict[str, object], field: str
) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    body = {k: v for k, v in hand_off_body(world, **change).items() if v is not None}
    response = api(world, world.a.inside, "post", f"/leads/{lead.pk}/transitions", body)
    assert response.status_code == 422, response.content
    assert field in field_of(response)
    assert Lead.objects.get(pk=lead.pk).stage == Stage.NEW
    assert not Handoff.objects.exists()


def test_api_hand_off_with_everything_records_it(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    body = hand_off_body(world)
    response = api(world, world.a.inside, "post", f"/leads/{lead.pk}/transitions", body)
    assert response.status_code == 200, response.content
    handoff = Handoff.objects.get(lead=lead)
    assert handoff.write_up == body["write_up"] and handoff.warm_call_confirmed
    assert handoff.answers == BANT


def test_web_hand_off_without_a_write_up_changes_nothing(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    response = client_for(world.a.inside).post(
        reverse("web:lead_transition", args=[lead.pk]),
        {
            "action": "hand_off",
            "expected_version": lead.version,
            "sales_rep": world.a.sales_rep.pk,
            "meeting_at": (NOW + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
            "warm_call_confirmed": "on",
            **{f"answer_{k}": v for k, v in BANT.items()},
        },
    )
    assert response.status_code == 422
    assert Lead.objects.get(pk=lead.pk).stage == Stage.NEW


# ---------------------------------------------------------------- unreachable and disqualify


def test_api_an_inside_rep_cannot_call_a_lead_unreachable_before_the_policy_is_used_up(
    world: World,
) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    body = {"action": "mark_unreachable", "reason_code": "wrong_number"}
    response = api(world, world.a.inside, "post", f"/leads/{lead.pk}/transitions", body)
    assert response.status_code == 422
    assert field_of(response) == ["action"]
    assert "5 dials and 3 emails left" in response.json()["detail"][0]["msg"]
    assert Lead.objects.get(pk=lead.pk).stage == Stage.NEW


def test_api_a_manager_marks_a_lead_unreachable_early_only_with_a_reason(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    manager = world.a.tele_manager
    path = f"/leads/{lead.pk}/transitions"
    refused = api(world, manager, "post", path, {"action": "mark_unreachable"})
    assert refused.status_code == 422 and field_of(refused) == ["reason_code"]
    wrong_kind = {"action": "mark_unreachable", "reason_code": "no_budget"}
    assert api(world, manager, "post", path, wrong_kind).status_code == 422
    body = {"action": "mark_unreachable", "reason_code": "do_not_contact"}
    assert api(world, manager, "post", path, body).status_code == 200
    lead.refresh_from_db()
    assert lead.stage == Stage.UNREACHABLE and lead.reason_code is not None
    assert lead.reason_code.code == "do_not_contact"
    event = LeadEvent.objects.get(lead=lead, action="mark_unreachable")
    assert event.actor == manager and event.reason_code == lead.reason_code


def test_web_offers_early_unreachable_to_the_manager_with_a_reason_only(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    url = reverse("web:lead_detail", args=[lead.pk])
    rep_page = client_for(world.a.inside).get(url).content.decode()
    assert 'value="mark_unreachable"' not in rep_page
    manager = client_for(world.a.tele_manager)
    manager_page = manager.get(url).content.decode()
    assert 'id="id_mark_unreachable_reason_code"' in manager_page
    post = {"action": "mark_unreachable", "expected_version": lead.version}
    response = manager.post(reverse("web:lead_transition", args=[lead.pk]), post)
    assert response.status_code == 422
    assert "needs a reason code" in response.content.decode()
    rep = client_for(world.a.inside).post(reverse("web:lead_transition", args=[lead.pk]), post)
    assert rep.status_code == 422
    assert Lead.objects.get(pk=lead.pk).stage == Stage.NEW


def test_disqualify_needs_a_reason_code_through_the_api(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    path = f"/leads/{lead.pk}/transitions"
    response = api(world, world.a.inside, "post", path, {"action": "disqualify"})
    assert response.status_code == 422 and field_of(response) == ["reason_code"]


# ---------------------------------------------------------------- sides


def held_meeting(world: World) -> Lead:
    lead = hand_off(world, make_lead(world.a, owner=world.a.inside))
    rep = world.a.sales_rep
    lead_transition(lead=lead, action="accept", actor=rep, now=NOW + timedelta(hours=1))
    return lead_transition(lead=lead, action="meeting_held", actor=rep, now=NOW + timedelta(days=3))


def test_api_after_the_hand_off_the_inside_side_cannot_act(world: World) -> None:
    lead = held_meeting(world)
    body = {"action": "disqualify", "reason_code": "no_budget"}
    path = f"/leads/{lead.pk}/transitions"
    for outsider in (world.a.inside, world.a.tele_manager):
        assert api(world, outsider, "post", path, body).status_code == 403
    assert Lead.objects.get(pk=lead.pk).stage == Stage.MEETING_HELD
    assert api(world, world.a.sales_manager, "post", path, body).status_code == 200
    assert Lead.objects.get(pk=lead.pk).stage == Stage.DISQUALIFIED_BY_SALES


def test_web_after_the_hand_off_the_inside_rep_reads_but_cannot_act(world: World) -> None:
    lead = held_meeting(world)
    client = client_for(world.a.inside)
    page = client.get(reverse("web:lead_detail", args=[lead.pk])).content.decode()
    assert 'value="disqualify"' not in page
    response = client.post(
        reverse("web:lead_transition", args=[lead.pk]),
        {"action": "disqualify", "expected_version": lead.version, "reason_code": 1},
    )
    assert response.status_code == 403
    assert Lead.objects.get(pk=lead.pk).stage == Stage.MEETING_HELD


def test_api_the_teleprospecting_manager_cannot_answer_a_hand_off_for_sales(
    world: World,
) -> None:
    lead = hand_off(world, make_lead(world.a, owner=world.a.inside))
    path = f"/leads/{lead.pk}/transitions"
    assert api(world, world.a.tele_manager, "post", path, {"action": "accept"}).status_code == 403
    assert api(world, world.a.sales_manager, "post", path, {"action": "accept"}).status_code == 200
