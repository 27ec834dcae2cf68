"""/api/v1/teams/{id}/calendar: read and change a team's calendar, as the page does."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from leadloop.accounts.models import Team, User
from leadloop.testing import World, make_lead


def path(team: Team | int) -> str:
    pk = team if isinstance(team, int) else team.pk
    return f"/api/v1/teams/{pk}/calendar"


def put(client: Client, world: World, user: User, team: Team | int, body: Any) -> Any:
    return client.put(
        path(team), data=json.dumps(body), content_type="application/json", **world.auth(user)
    )


def snapshot(team: Team) -> tuple[Any, ...]:
    team.refresh_from_db()
    return (
        team.timezone,
        team.working_hours,
        team.holiday_country,
        team.holiday_subdivision,
        team.closures,
    )


def test_manager_reads_her_teams_calendar(client: Client, world: World) -> None:
    r = client.get(path(world.a.tele), **world.auth(world.a.tele_manager))
    assert r.status_code == 200, r.content
    assert r.json() == {
        "team": world.a.tele.pk,
        "timezone": "Europe/Berlin",
        "working_hours": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
        "holiday_country": "DE",
        "holiday_subdivision": "",
        "closures": [],
    }


def test_partial_put_changes_the_given_settings_and_new_leads_due_times(
    client: Client, world: World
) -> None:
    before = snapshot(world.a.tele)
    # The team's only business day of that week after Tuesday is Friday.
    body = {"closures": ["2026-11-19", "2026-11-18"], "holiday_subdivision": "BY"}
    r = put(client, world, world.a.tele_manager, world.a.tele, body)
    assert r.status_code == 200, r.content
    assert r.json()["closures"] == ["2026-11-18", "2026-11-19"]
    after = snapshot(world.a.tele)
    assert after[:3] == before[:3]
    assert after[3:] == ("BY", ["2026-11-18", "2026-11-19"])
    due = make_lead(world.a).first_contact_due
    assert due is not None
    # 12 business hours from Tue 10:00 Berlin: 7 on Tuesday, 5 on Friday.
    assert due.astimezone(UTC) == datetime(2026, 11, 20, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"working_hours": {}}, "working_hours"),
        ({"working_hours": {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}}, "working_hours"),
        ({"holiday_country": "XX"}, "holiday_country"),
        ({"timezone": "Mars/Base"}, "timezone"),
        ({"closures": ["2026-02-30"]}, "closures"),
        ({"timezone": None}, "timezone"),
    ],
)
def test_bad_calendar_is_422_naming_the_field_and_saves_nothing(
    client: Client, world: World, body: dict[str, Any], field: str
) -> None:
    before = snapshot(world.a.tele)
    r = put(client, world, world.a.tele_manager, world.a.tele, body)
    assert r.status_code == 422, r.content
    detail = r.json()["detail"]
    assert [d["loc"] for d in detail] == [["body", field]]
    assert snapshot(world.a.tele) == before


def test_malformed_body_is_422(client: Client, world: World) -> None:
    r = put(client, world, world.a.tele_manager, world.a.tele, {"working_hours": ["mon"]})
    assert r.status_code == 422
    assert "working_hours" in r.json()["detail"][0]["loc"]


@pytest.mark.parametrize(
    ("who", "team"),
    [
        ("inside", "tele"),
        ("sales_rep", "sales"),
        ("tele_manager", "sales"),  # not the team she manages
        ("sales_manager", "tele"),
    ],
)
def test_others_get_403(client: Client, world: World, who: str, team: str) -> None:
    user = getattr(world.a, who)
    target = getattr(world.a, team)
    before = snapshot(target)
    r = client.get(path(target), **world.auth(user))
    assert r.status_code == 403
    assert "detail" in r.json()
    assert put(client, world, user, target, {"timezone": "UTC"}).status_code == 403
    assert snapshot(target) == before


def test_other_teams_manager_and_marketing_get_403_admin_may(client: Client, world: World) -> None:
    for user in (world.b.tele_manager, world.marketing):
        assert put(client, world, user, world.a.tele, {"timezone": "UTC"}).status_code == 403
    assert snapshot(world.a.tele)[0] == "Europe/Berlin"
    r = put(client, world, world.admin, world.a.tele, {"timezone": "UTC"})
    assert r.status_code == 200
    assert snapshot(world.a.tele)[0] == "UTC"


def test_unknown_team_is_404_and_no_token_is_401(client: Client, world: World) -> None:
    assert client.get(path(99999), **world.auth(world.admin)).status_code == 404
    assert client.get(path(world.a.tele)).status_code == 401
