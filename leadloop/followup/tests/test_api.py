"""/api/v1/followup: the same rules as the pages, as JSON, declared in the OpenAPI schema."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from leadloop.followup.models import CadenceTask, CadenceTemplate
from leadloop.followup.tests.conftest import DAY1, DAY5, MEETING, NO_SHOW_AT, accepted
from leadloop.leads.models import Lead
from leadloop.testing import NOW, World, hand_off, make_lead


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    pinned = Clock(NOW)
    monkeypatch.setattr(timezone, "now", pinned)
    return pinned


def call(client: Client, world: World, user: Any, method: str, path: str, body: Any = None) -> Any:
    kwargs: dict[str, Any] = dict(world.auth(user))
    if body is not None:
        kwargs |= {"data": json.dumps(body), "content_type": "application/json"}
    return getattr(client, method)(f"/api/v1/followup{path}", **kwargs)


def field_of(response: Any) -> list[str]:
    return [d["loc"][-1] for d in response.json()["detail"]]


def test_inbox_accept_and_reject(client: Client, world: World, clock: Clock) -> None:
    one = hand_off(world, make_lead(world.a, owner=world.a.inside))
    two = hand_off(world, make_lead(world.a, owner=world.a.inside))
    rep = world.a.sales_rep
    items = call(client, world, rep, "get", "/inbox").json()
    assert [i["lead"] for i in items] == [one.pk, two.pk]
    first = items[0]
    assert first["write_up"] == "Ready to talk."
    assert first["answers"]["authority"] == "CFO"
    assert (first["inside_rep"], first["inside_rep_name"]) == (
        world.a.inside.pk,
        str(world.a.inside),
    )
    assert first["accept_clock"]["kind"] == "accept"
    assert first["accept_clock"]["state"] == "running"
    assert call(client, world, world.b.sales_rep, "get", "/inbox").json() == []

    r = call(
        client, world, rep, "post", f"/leads/{one.pk}/accept", {"expected_version": one.version}
    )
    assert r.status_code == 200 and r.json()["stage"] == "accepted"
    stale = call(
        client, world, rep, "post", f"/leads/{one.pk}/accept", {"expected_version": one.version}
    )
    assert stale.status_code == 409

    r = call(client, world, rep, "post", f"/leads/{two.pk}/reject", {"note": "?"})
    assert r.status_code == 422 and field_of(r) == ["reason_code"]
    r = call(
        client, world, rep, "post", f"/leads/{two.pk}/reject", {"reason_code": "wrong_territory"}
    )
    assert r.status_code == 200
    assert (r.json()["stage"], r.json()["owner"], r.json()["sales_rep"]) == (
        "rejected",
        world.a.inside.pk,
        None,
    )
    # Another team's rep cannot even find it.
    beta = call(client, world, world.b.sales_rep, "post", f"/leads/{one.pk}/accept", {})
    assert beta.status_code == 404


def test_outcomes_refuse_bad_input_by_field(client: Client, world: World, clock: Clock) -> None:
    lead = accepted(world)
    rep = world.a.sales_rep
    clock.now = MEETING.replace(hour=8)  # before the meeting
    r = call(client, world, rep, "post", f"/leads/{lead.pk}/outcome", {"outcome": "no_show"})
    assert r.status_code == 422 and field_of(r) == ["meeting_at"]
    clock.now = NO_SHOW_AT
    r = call(client, world, rep, "post", f"/leads/{lead.pk}/outcome", {"outcome": "celebrate"})
    assert r.status_code == 422
    r = call(client, world, rep, "post", f"/leads/{lead.pk}/outcome", {"outcome": "meeting_held"})
    assert r.status_code == 200 and r.json()["stage"] == "meeting_held"
    for outcome, field in [
        ("win", "revenue"),
        ("nurture", "next_touch_on"),
        ("disqualify", "reason_code"),
        ("lose", "reason_code"),
        ("open_opportunity", "amount"),
    ]:
        r = call(client, world, rep, "post", f"/leads/{lead.pk}/outcome", {"outcome": outcome})
        assert r.status_code == 422 and field_of(r) == [field], (outcome, r.content)
    r = call(
        client,
        world,
        rep,
        "post",
        f"/leads/{lead.pk}/outcome",
        {"outcome": "open_opportunity", "amount": "5000.00", "expected_close_on": "2027-02-01"},
    )
    assert r.status_code == 200 and r.json()["stage"] == "opportunity"
    assert Lead.objects.get(pk=lead.pk).expected_close_on.isoformat() == "2027-02-01"  # type: ignore[union-attr]


def test_the_cadence_over_the_api(client: Client, world: World, clock: Clock) -> None:
    lead = accepted(world)
    rep = world.a.sales_rep
    clock.now = NO_SHOW_AT
    r = call(client, world, rep, "post", f"/leads/{lead.pk}/outcome", {"outcome": "no_show"})
    assert r.status_code == 200 and r.json()["stage"] == "no_show"
    cadence = call(client, world, rep, "get", f"/leads/{lead.pk}/cadence").json()
    assert cadence["state"] == "running" and cadence["inside_rep"] == world.a.inside.pk
    assert [(t["day"], t["action"]) for t in cadence["tasks"]][-1] == (5, "invitation")

    tasks = call(client, world, rep, "get", "/tasks").json()
    assert len(tasks) == 5 and all(t["status"] == "pending" for t in tasks)
    assert call(client, world, world.b.sales_rep, "get", "/tasks").json() == []
    voicemail = tasks[0]
    clock.now = DAY1
    one = call(client, world, rep, "post", f"/tasks/{voicemail['id']}/complete", {"note": "msg"})
    two = call(client, world, rep, "post", f"/tasks/{voicemail['id']}/complete", {"note": "again"})
    assert one.status_code == two.status_code == 200
    assert one.json()["activity"] == two.json()["activity"] is not None
    assert lead.activities.filter(kind="call").count() == 1
    other = call(client, world, world.b.sales_rep, "post", f"/tasks/{voicemail['id']}/complete", {})
    assert other.status_code == 404

    invite = CadenceTask.objects.get(lead=lead, action="invitation")
    early = call(client, world, rep, "post", f"/tasks/{invite.pk}/complete", {})
    assert early.status_code == 422 and field_of(early) == ["task"]
    clock.now = DAY5
    r = call(client, world, rep, "post", f"/tasks/{invite.pk}/complete", {})
    assert r.status_code == 422 and field_of(r) == ["proposed_at"]
    r = call(
        client,
        world,
        rep,
        "post",
        f"/tasks/{invite.pk}/complete",
        {"proposed_at": "2026-11-30T14:00:00+01:00"},
    )
    assert r.status_code == 200, r.content
    url = r.json()["invitation_url"]
    ics = client.get(url, **world.auth(rep))
    assert ics.status_code == 200 and b"METHOD:REQUEST" in ics.content
    assert b"DTSTART:20261130T130000Z" in ics.content

    clock.now = DAY5.replace(day=27)
    r = call(
        client,
        world,
        rep,
        "post",
        f"/leads/{lead.pk}/rebook",
        {"meeting_at": "2026-11-30T14:00:00+01:00"},
    )
    assert r.status_code == 200 and r.json()["meeting_at"].startswith("2026-11-30T13:00")
    assert (
        call(client, world, rep, "get", f"/leads/{lead.pk}/cadence").json()["state"] == "rebooked"
    )


def test_feedback_owed_and_purgatory(client: Client, world: World, clock: Clock) -> None:
    rep = world.a.sales_rep
    lead = accepted(world)
    clock.now = NO_SHOW_AT
    call(client, world, rep, "post", f"/leads/{lead.pk}/outcome", {"outcome": "meeting_held"})
    clock.now = NO_SHOW_AT.replace(month=12, day=20)
    owed = call(client, world, world.a.sales_manager, "get", "/feedback-owed").json()
    assert owed["total"] == 1
    (mine,) = [d for d in owed["reps"] if d["sales_rep"] == rep.pk]
    assert (mine["overdue"], mine["overdue_outcomes"]) == (1, 1)
    assert owed["overdue"][0]["lead"] == lead.pk and owed["overdue"][0]["kind"] == "feedback"
    assert call(client, world, world.b.sales_manager, "get", "/feedback-owed").json()["total"] == 0
    mine_only = call(client, world, rep, "get", "/feedback-owed").json()
    assert [d["sales_rep"] for d in mine_only["reps"]] == [rep.pk]

    call(
        client,
        world,
        rep,
        "post",
        f"/leads/{lead.pk}/outcome",
        {"outcome": "nurture", "next_touch_on": "2026-12-21"},
    )
    clock.now = clock.now.replace(day=23)
    found = call(client, world, world.a.sales_manager, "get", "/purgatory").json()
    assert found["counts"]["touch_overdue"] == 1
    assert found["items"][0]["lead"] == lead.pk and found["items"][0]["reason"] == "touch_overdue"
    assert call(client, world, world.b.sales_manager, "get", "/purgatory").json()["total"] == 0


def test_cadence_templates(client: Client, world: World, clock: Clock) -> None:
    manager = world.a.sales_manager
    assert call(client, world, world.a.sales_rep, "get", "/cadences").status_code == 403
    (default,) = call(client, world, manager, "get", "/cadences").json()
    assert default["team"] is None and default["editable"] is False
    assert [s["day"] for s in default["steps"]] == [1, 1, 3, 3, 5]
    r = call(client, world, manager, "put", f"/cadences/{default['id']}", default)
    assert r.status_code == 403
    r = call(client, world, manager, "post", "/cadences", {"team": world.a.sales.pk})
    assert r.status_code == 201 and r.json()["team"] == world.a.sales.pk
    mine = r.json()
    bad = mine | {"steps": [*mine["steps"], {"day": 7, "action": "voicemail", "text": ""}]}
    r = call(client, world, manager, "put", f"/cadences/{mine['id']}", bad)
    assert r.status_code == 422 and field_of(r) == ["steps"]
    assert "not before the recycle day" in r.json()["detail"][0]["msg"]
    overlap = mine | {"steps": [*mine["steps"], {"day": 3, "action": "email", "text": "x"}]}
    r = call(client, world, manager, "put", f"/cadences/{mine['id']}", overlap)
    assert r.status_code == 422 and "overlap" in r.json()["detail"][0]["msg"]
    good = mine | {"recycle_day": 8, "steps": [*mine["steps"], {"day": 7, "action": "voicemail"}]}
    r = call(client, world, manager, "put", f"/cadences/{mine['id']}", good)
    assert r.status_code == 200 and r.json()["version"] == 2 and len(r.json()["steps"]) == 6
    assert CadenceTemplate.objects.get(pk=mine["id"]).recycle_day == 8
    beta = call(client, world, world.b.sales_manager, "get", f"/cadences/{mine['id']}")
    assert beta.status_code == 404


def test_openapi_declares_the_follow_up(client: Client, world: World) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path, method in [
        ("/api/v1/followup/inbox", "get"),
        ("/api/v1/followup/leads/{lead_id}/accept", "post"),
        ("/api/v1/followup/leads/{lead_id}/reject", "post"),
        ("/api/v1/followup/leads/{lead_id}/outcome", "post"),
        ("/api/v1/followup/leads/{lead_id}/rebook", "post"),
        ("/api/v1/followup/leads/{lead_id}/cadence", "get"),
        ("/api/v1/followup/tasks", "get"),
        ("/api/v1/followup/tasks/{task_id}/complete", "post"),
        ("/api/v1/followup/tasks/{task_id}/invitation.ics", "get"),
        ("/api/v1/followup/feedback-owed", "get"),
        ("/api/v1/followup/purgatory", "get"),
        ("/api/v1/followup/cadences", "get"),
        ("/api/v1/followup/cadences", "post"),
        ("/api/v1/followup/cadences/{template_id}", "put"),
    ]:
        operation = paths[path][method]
        assert operation["tags"] == ["follow-up"], path
    outcome = paths["/api/v1/followup/leads/{lead_id}/outcome"]["post"]["responses"]
    assert {"200", "403", "404", "409", "422"} <= set(outcome)
    ics = paths["/api/v1/followup/tasks/{task_id}/invitation.ics"]["get"]["responses"]["200"]
    assert "text/calendar" in ics["content"]
