"""/api/v1/notifications: the caller's own, unread first; marking read; the schema."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from leadloop.accounts.models import User
from leadloop.leads.models import Lead
from leadloop.notifications.choices import NotificationKind
from leadloop.notifications.models import Notification
from leadloop.notifications.services import notify
from leadloop.sla.models import SlaClock
from leadloop.testing import NOW, World


def note(user: User, lead: Lead, summary: str, *, minutes: int = 0) -> Notification:
    [n] = notify(
        users=[user],
        kind=NotificationKind.LEAD_EVENT,
        now=NOW + timedelta(minutes=minutes),
        lead_id=lead.pk,
        data={"summary": summary},
    )
    return n


@pytest.fixture
def inbox(world: World, leads: dict[str, Lead]) -> dict[str, Notification]:
    old = note(world.a.inside, leads["alpha"], "Old unread", minutes=1)
    read = note(world.a.inside, leads["alpha"], "Read already", minutes=2)
    new = note(world.a.inside, leads["alpha"], "Fresh unread", minutes=3)
    Notification.objects.filter(pk=read.pk).update(read_at=NOW + timedelta(minutes=5))
    beta = note(world.b.inside, leads["beta"], "Beta secret", minutes=4)
    return {"old": old, "read": read, "new": new, "beta": beta}


def get(client: Client, world: World, user: User, path: str, **params: Any) -> Any:
    return client.get(f"/api/v1/notifications{path}", params, **world.auth(user))


def post(client: Client, world: World, user: User, path: str) -> Any:
    return client.post(f"/api/v1/notifications{path}", **world.auth(user))


def test_list_is_the_callers_own_unread_first(
    client: Client, world: World, leads: dict[str, Lead], inbox: dict[str, Notification]
) -> None:
    r = get(client, world, world.a.inside, "")
    assert r.status_code == 200, r.content
    body = r.json()
    ids = [item["id"] for item in body["items"]]
    assert ids == [inbox["new"].pk, inbox["old"].pk, inbox["read"].pk]
    assert body["unread"] == 2
    assert body["next_cursor"] is None
    first = body["items"][0]
    assert set(first) == {"id", "kind", "title", "body", "url", "lead", "created_at", "read_at"}
    assert first["kind"] == "lead_event"
    assert first["title"] == f"{leads['alpha']}: Fresh unread"
    assert first["url"] == reverse("web:lead_detail", args=[leads["alpha"].pk])
    assert first["lead"] == leads["alpha"].pk
    assert first["read_at"] is None
    beta = get(client, world, world.b.inside, "").json()
    assert [item["id"] for item in beta["items"]] == [inbox["beta"].pk]
    assert get(client, world, world.admin, "").json()["items"] == []  # not even the admin


def test_unread_filter(client: Client, world: World, inbox: dict[str, Notification]) -> None:
    body = get(client, world, world.a.inside, "", unread="true").json()
    assert [item["id"] for item in body["items"]] == [inbox["new"].pk, inbox["old"].pk]


def test_cursor_pages_through_everything_once(
    client: Client, world: World, inbox: dict[str, Notification]
) -> None:
    seen: list[int] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        body = get(client, world, world.a.inside, "", **params).json()
        seen += [item["id"] for item in body["items"]]
        if not body["next_cursor"]:
            break
        params["cursor"] = body["next_cursor"]
    assert seen == [inbox["new"].pk, inbox["old"].pk, inbox["read"].pk]
    r = get(client, world, world.a.inside, "", cursor="not-a-cursor")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"][-1] == "cursor"
    assert get(client, world, world.a.inside, "", limit=0).status_code == 422


def test_mark_one_read_is_idempotent_and_private(
    client: Client, world: World, inbox: dict[str, Notification]
) -> None:
    r = post(client, world, world.a.inside, f"/{inbox['new'].pk}/read")
    assert r.status_code == 200, r.content
    first = r.json()["read_at"]
    assert first is not None
    assert r.json()["id"] == inbox["new"].pk
    again = post(client, world, world.a.inside, f"/{inbox['new'].pk}/read").json()
    assert again["read_at"] == first
    for other in (world.b.inside, world.a.inside2, world.admin):
        assert post(client, world, other, f"/{inbox['old'].pk}/read").status_code == 404
    assert Notification.objects.get(pk=inbox["old"].pk).read_at is None
    assert post(client, world, world.a.inside, "/999999/read").status_code == 404
    assert get(client, world, world.a.inside, "").json()["unread"] == 1


def test_read_all_marks_only_the_callers(
    client: Client, world: World, inbox: dict[str, Notification]
) -> None:
    r = post(client, world, world.a.inside, "/read-all")
    assert r.status_code == 200
    assert r.json() == {"marked": 2, "unread": 0}
    assert Notification.objects.get(pk=inbox["beta"].pk).read_at is None
    assert post(client, world, world.a.inside, "/read-all").json() == {"marked": 0, "unread": 0}


def test_needs_a_token(client: Client, world: World, inbox: dict[str, Notification]) -> None:
    assert client.get("/api/v1/notifications").status_code == 401
    assert client.post(f"/api/v1/notifications/{inbox['new'].pk}/read").status_code == 401
    assert client.post("/api/v1/notifications/read-all").status_code == 401
    assert Notification.objects.filter(read_at__isnull=True).count() == 3


def test_openapi_declares_the_endpoints(client: Client, world: World) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    listing = paths["/api/v1/notifications"]["get"]
    read_one = paths["/api/v1/notifications/{notification_id}/read"]["post"]
    read_all = paths["/api/v1/notifications/read-all"]["post"]
    for op in (listing, read_one, read_all):
        assert op["tags"] == ["notifications"]
        assert {"200", "401", "404", "422"} <= set(op["responses"])
    assert {p["name"] for p in listing["parameters"]} >= {"unread", "cursor", "limit"}
    item = schema["components"]["schemas"]["NotificationOut"]["properties"]
    assert {"id", "kind", "title", "body", "url", "lead", "created_at", "read_at"} <= set(item)


def test_texts_are_in_the_callers_zone(
    client: Client, world: World, leads: dict[str, Lead]
) -> None:
    lead = leads["alpha"]
    clock = lead.clocks.first()
    assert clock is not None
    SlaClock.objects.filter(pk=clock.pk).update(due_at=datetime(2026, 11, 20, 16, 0, tzinfo=UTC))
    User.objects.filter(pk=world.a.inside.pk).update(timezone="America/New_York")
    notify(
        users=[world.a.inside],
        kind=NotificationKind.SLA_AT_RISK,
        now=NOW,
        lead_id=lead.pk,
        clock_id=clock.pk,
    )
    [item] = get(client, world, world.a.inside, "").json()["items"]
    assert "due Fri 20 Nov 2026, 11:00" in item["body"]  # 16:00 UTC in New York


def test_listing_costs_the_same_for_a_full_page(
    client: Client, world: World, leads: dict[str, Lead], django_assert_max_num_queries: Any
) -> None:
    Notification.objects.bulk_create(
        Notification(
            user=world.a.inside,
            kind=NotificationKind.LEAD_EVENT,
            lead=leads["alpha"],
            created_at=NOW - timedelta(minutes=i),
            read_at=NOW if i % 3 else None,
        )
        for i in range(150)
    )
    with django_assert_max_num_queries(6):
        body = get(client, world, world.a.inside, "", limit=100).json()
    assert len(body["items"]) == 100
    assert body["unread"] == 50
