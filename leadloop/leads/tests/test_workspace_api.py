"""The workspace through /api/v1: queue, next, claims, qualification, suggestions,
reassignment and handed-off leads; errors name the field."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from leadloop.leads.models import Lead
from leadloop.lifecycle.transitions import lead_transition
from leadloop.testing import BANT, World, hand_off, make_lead

API = "/api/v1"


@pytest.fixture
def client() -> Client:
    return Client()


def call(client: Client, method: str, path: str, world: World, user: Any, body: Any = None) -> Any:
    kwargs: dict[str, Any] = world.auth(user)
    if body is not None:
        kwargs |= {"data": json.dumps(body), "content_type": "application/json"}
    return getattr(client, method)(f"{API}{path}", **kwargs)


@pytest.fixture
def leads(world: World) -> dict[str, Lead]:
    # Real time: the API reads the clock, so the leads are made relative to it.
    now = timezone.now()
    rep = world.a.inside
    return {
        "old": make_lead(world.a, owner=rep, now=now - timedelta(days=10), last_name="Old"),
        "new": make_lead(world.a, owner=rep, now=now, last_name="New"),
    }


def test_queue_in_urgency_order_with_clocks(client: Client, world: World, leads: Any) -> None:
    response = call(client, "get", "/queue", world, world.a.inside)
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2
    assert [i["lead"]["last_name"] for i in body["items"]] == ["Old", "New"]
    assert body["items"][0]["breached"] is True
    clock = body["items"][1]["clocks"][0]
    assert clock["kind"] == "first_contact" and clock["business_seconds_left"] > 0


def test_queue_of_someone_else(client: Client, world: World, leads: Any) -> None:
    ok = call(client, "get", f"/queue?rep={world.a.inside.pk}", world, world.a.tele_manager)
    assert ok.status_code == 200 and ok.json()["total"] == 2
    assert (
        call(
            client, "get", f"/queue?rep={world.a.inside.pk}", world, world.b.tele_manager
        ).status_code
        == 403
    )
    assert (
        call(client, "get", f"/queue?rep={world.a.inside.pk}", world, world.a.inside2).status_code
        == 403
    )
    assert call(client, "get", "/queue", world, world.a.sales_rep).status_code == 403


def test_next_claims_then_204(client: Client, world: World, leads: Any) -> None:
    first = call(client, "post", "/queue/next", world, world.a.inside, {})
    assert first.status_code == 200 and first.json()["last_name"] == "Old"
    # Her manager asks for the next of her queue: the claimed one is skipped.
    other = call(
        client, "post", "/queue/next", world, world.a.tele_manager, {"rep": world.a.inside.pk}
    )
    assert other.json()["last_name"] == "New"
    conflict = call(client, "post", f"/leads/{leads['old'].pk}/claim", world, world.a.tele_manager)
    assert conflict.status_code == 409
    assert conflict.json()["claimed_by"] == world.a.inside.pk
    assert (
        call(client, "delete", f"/leads/{leads['old'].pk}/claim", world, world.a.inside).status_code
        == 204
    )
    assert (
        call(
            client, "post", f"/leads/{leads['old'].pk}/claim", world, world.a.tele_manager
        ).status_code
        == 200
    )
    # Everything is claimed by the manager now; the rep's next finds nothing.
    assert call(client, "post", "/queue/next", world, world.a.inside, {}).status_code == 204


def test_claimed_lead_refuses_activities(client: Client, world: World, leads: Any) -> None:
    call(client, "post", f"/leads/{leads['new'].pk}/claim", world, world.a.tele_manager)
    response = call(
        client,
        "post",
        f"/leads/{leads['new'].pk}/activities",
        world,
        world.a.inside,
        {"kind": "call", "outcome": "no_answer"},
    )
    assert response.status_code == 409
    assert "is working lead" in response.json()["detail"]


def test_qualification(client: Client, world: World, leads: Any) -> None:
    lead = leads["new"]
    path = f"/leads/{lead.pk}/qualification"
    partial = call(client, "put", path, world, world.a.inside, {"answers": {"budget": "yes"}})
    assert partial.status_code == 200 and partial.json()["complete"] is False
    full = call(
        client,
        "put",
        path,
        world,
        world.a.inside,
        {"answers": BANT, "expected_version": partial.json()["version"]},
    )
    assert full.json()["complete"] is True
    bad = call(client, "put", path, world, world.a.inside, {"answers": {"colour": "red"}})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "answers"]
    stale = call(
        client, "put", path, world, world.a.inside, {"answers": BANT, "expected_version": 1}
    )
    assert stale.status_code == 409
    assert call(client, "put", path, world, world.b.inside, {"answers": BANT}).status_code == 404


def test_suggestions_and_hand_off(client: Client, world: World, leads: Any) -> None:
    lead = leads["new"]
    suggestions = call(
        client, "get", f"/leads/{lead.pk}/handoff-suggestions", world, world.a.inside
    ).json()
    assert suggestions[0]["rep"] == world.a.sales_rep.pk and suggestions[0]["why"] == "round robin"
    meeting = (timezone.now() + timedelta(days=2)).isoformat()
    body = {
        "action": "hand_off",
        "sales_rep": suggestions[0]["rep"],
        "meeting_at": meeting,
        "answers": BANT,
        "write_up": "Ready.",
        "warm_call_confirmed": True,
    }
    response = call(client, "post", f"/leads/{lead.pk}/transitions", world, world.a.inside, body)
    assert response.status_code == 200, response.content
    past = {**body, "meeting_at": (timezone.now() - timedelta(days=1)).isoformat()}
    other = leads["old"]
    refused = call(client, "post", f"/leads/{other.pk}/transitions", world, world.a.inside, past)
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == [
        "body",
        "meeting_at",
    ]


def test_reassign(client: Client, world: World, leads: Any) -> None:
    ids = [leads["old"].pk, leads["new"].pk]
    body = {"leads": ids, "to_rep": world.a.inside2.pk}
    assert call(client, "post", "/reassignments", world, world.a.inside, body).status_code == 403
    ok = call(client, "post", "/reassignments", world, world.a.tele_manager, body)
    assert ok.status_code == 200 and sorted(ok.json()["moved"]) == sorted(ids)
    wrong = call(
        client,
        "post",
        "/reassignments",
        world,
        world.a.tele_manager,
        {"leads": ids, "to_rep": world.b.inside.pk},
    )
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["body", "to_rep"]


def test_handed_off(client: Client, world: World) -> None:
    now = timezone.now()
    lead = hand_off(world, make_lead(world.a, owner=world.a.inside, now=now), now=now)
    lead_transition(lead=lead, action="accept", actor=world.a.sales_rep, now=now)
    items = call(client, "get", "/handed-off", world, world.a.inside).json()
    assert [i["lead"]["id"] for i in items] == [lead.pk]
    assert items[0]["lead"]["stage"] == "accepted"
    assert items[0]["last_sales_action"] == "Accept"


def test_schema_declares_the_workspace(client: Client) -> None:
    paths = client.get(f"{API}/openapi.json").json()["paths"]
    for path in (
        "/api/v1/queue",
        "/api/v1/queue/next",
        "/api/v1/leads/{lead_id}/claim",
        "/api/v1/leads/{lead_id}/qualification",
        "/api/v1/leads/{lead_id}/handoff-suggestions",
        "/api/v1/reassignments",
        "/api/v1/handed-off",
    ):
        assert path in paths, path
