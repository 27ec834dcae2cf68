"""Team calendar: the service, the page, who may edit it, and what a change does to SLAs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from leadloop.accounts.models import Team
from leadloop.accounts.services import update_team_calendar
from leadloop.lib import pages
from leadloop.lib.errors import NotPermitted
from leadloop.testing import NOW, World, client_for, make_lead

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "clock", lambda: NOW)


def url(team: Team) -> str:
    return reverse("accounts:team_calendar", args=[team.pk])


def form_data(**changes: str) -> dict[str, str]:
    """What the page posts for Berlin, Mon-Fri 09:00-17:00, German holidays."""
    data = {f"working_hours_{day}": "09:00-17:00" for day in WEEKDAYS}
    data |= {
        "timezone": "Europe/Berlin",
        "working_hours_sat": "",
        "working_hours_sun": "",
        "holiday_country": "DE",
        "holiday_subdivision": "",
        "closures": "",
    }
    return data | changes


def snapshot(team: Team) -> tuple[Any, ...]:
    team.refresh_from_db()
    return (
        team.timezone,
        team.working_hours,
        team.holiday_country,
        team.holiday_subdivision,
        team.closures,
    )


def new_lead_due(world: World) -> datetime:
    """first_contact_due of a lead arriving at NOW on Alpha's web-RFI campaign (12 h)."""
    # The campaign holds its team in memory; read the calendar as intake would.
    world.a.tele.refresh_from_db()
    due = make_lead(world.a).first_contact_due
    assert due is not None
    return due.astimezone(UTC)


# ---------------------------------------------------------------- the service


def test_service_stores_a_canonical_calendar(world: World) -> None:
    team = update_team_calendar(
        team=world.a.tele,
        actor=world.a.tele_manager,
        timezone=" America/New_York ",
        working_hours={"Monday": [["13:00", "17:30"], ["9:00", "12:00"]], "sat": []},
        holiday_country="us",
        holiday_subdivision="NY",
        closures=["2026-12-24", "2026-12-24", " 2026-11-27 "],
    )
    assert snapshot(team) == (
        "America/New_York",
        {"mon": [["09:00", "12:00"], ["13:00", "17:30"]]},
        "US",
        "NY",
        ["2026-11-27", "2026-12-24"],
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"working_hours": {}}, "working_hours", "no opening hours"),
        (
            {"working_hours": {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}},
            "working_hours",
            "overlap",
        ),
        ({"working_hours": {"mon": [["17:00", "09:00"]]}}, "working_hours", "start before"),
        ({"working_hours": {"caturday": [["09:00", "17:00"]]}}, "working_hours", "unknown day"),
        ({"holiday_country": "XX"}, "holiday_country", "unknown holiday country"),
        ({"holiday_country": "DEU"}, "holiday_country", "two-letter"),
        ({"holiday_subdivision": "ZZ"}, "holiday_subdivision", "one of BB, BE"),
        ({"holiday_country": "", "holiday_subdivision": "BY"}, "holiday_subdivision", "needs"),
        ({"timezone": "Mars/Base"}, "timezone", "unknown time zone"),
        ({"timezone": ""}, "timezone", "Choose a time zone"),
        ({"closures": ["2026-13-45"]}, "closures", "not a date"),
    ],
)
def test_service_refuses_a_bad_calendar_naming_the_field(
    world: World, changes: dict[str, Any], field: str, message: str
) -> None:
    before = snapshot(world.a.tele)
    values: dict[str, Any] = {
        "timezone": "Europe/Berlin",
        "working_hours": {"mon": [["09:00", "17:00"]]},
        "holiday_country": "DE",
        "holiday_subdivision": "",
        "closures": [],
    } | changes
    with pytest.raises(ValidationError) as raised:
        update_team_calendar(team=world.a.tele, actor=world.admin, **values)
    assert list(raised.value.message_dict) == [field]
    assert message in raised.value.message_dict[field][0]
    assert snapshot(world.a.tele) == before


@pytest.mark.parametrize("who", ["inside", "sales_rep", "sales_manager", "other_manager", "mkt"])
def test_service_lets_only_the_teams_manager_or_an_admin_edit(world: World, who: str) -> None:
    actor = {
        "inside": world.a.inside,
        "sales_rep": world.a.sales_rep,
        "sales_manager": world.a.sales_manager,  # manages Alpha Sales, not Alpha Teleprospecting
        "other_manager": world.b.tele_manager,
        "mkt": world.marketing,
    }[who]
    before = snapshot(world.a.tele)
    with pytest.raises(NotPermitted):
        update_team_calendar(
            team=world.a.tele,
            actor=actor,
            timezone="UTC",
            working_hours={"mon": [["09:00", "17:00"]]},
            holiday_country="",
            holiday_subdivision="",
            closures=[],
        )
    assert snapshot(world.a.tele) == before


# ---------------------------------------------------------------- the page


def test_page_shows_the_form_and_what_the_calendar_means(world: World) -> None:
    response = client_for(world.a.tele_manager).get(url(world.a.tele))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Europe/Berlin"' in html
    assert 'list="timezones"' in html
    assert '<option value="America/New_York">' in html
    assert 'name="working_hours_mon" value="09:00-17:00"' in html
    assert 'name="working_hours_sat"' in html
    assert '<option value="DE" selected>Germany (DE)</option>' in html
    # Tuesday 17 November 2026: the next ten business days run to 30 November.
    open_days = response.context["open_days"]
    assert [d.day.isoformat() for d in open_days][:2] == ["2026-11-17", "2026-11-18"]
    assert open_days[-1].day.isoformat() == "2026-11-30"
    assert open_days[0].hours == "09:00-17:00"
    assert "Christmas Day" in html
    assert "Tue 17 Nov 2026" in html


def test_valid_edit_saves_and_moves_the_due_time_of_new_leads(world: World) -> None:
    before = new_lead_due(world)
    # 12 business hours from Tue 10:00 on 09:00-17:00: Tue 7 h, Wed 5 h.
    assert before == datetime(2026, 11, 18, 13, 0, tzinfo=UTC)  # Wed 14:00 Berlin
    hours = {f"working_hours_{day}": "09:00-12:00, 13:00-17:30" for day in WEEKDAYS}
    response = client_for(world.a.tele_manager).post(url(world.a.tele), form_data(**hours))
    assert response.status_code == 302
    assert response["Location"] == url(world.a.tele)
    snapshot(world.a.tele)
    assert world.a.tele.working_hours["tue"] == [["09:00", "12:00"], ["13:00", "17:30"]]
    # Tue 6.5 h, Wed 3 h before lunch and 2.5 h after it.
    assert new_lead_due(world) == datetime(2026, 11, 18, 14, 30, tzinfo=UTC)


def test_closures_and_regional_holidays_close_days(world: World) -> None:
    client = client_for(world.a.tele_manager)
    # Saxony keeps Buss- und Bettag (Wed 18 Nov 2026); the team also closes on Thursday.
    data = form_data(holiday_subdivision="SN", closures="2026-11-19\n2026-12-31")
    assert client.post(url(world.a.tele), data).status_code == 302
    assert snapshot(world.a.tele)[3:] == ("SN", ["2026-11-19", "2026-12-31"])
    # Tue 7 h, then Friday 5 h.
    assert new_lead_due(world) == datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
    page = client.get(url(world.a.tele))
    open_days = [d.day.isoformat() for d in page.context["open_days"]]
    assert "2026-11-18" not in open_days
    assert "2026-11-19" not in open_days
    days_off = {d.day.isoformat(): d.name for d in page.context["days_off"]}
    assert days_off["2026-11-18"] == "Repentance and Prayer Day"
    assert days_off["2026-11-19"] == "Own day off"


BAD_INPUTS = [
    pytest.param(
        {f"working_hours_{day}": "" for day in WEEKDAYS},
        "working_hours",
        "no opening hours",
        id="no-opening-hours",
    ),
    pytest.param(
        {"working_hours_mon": "09:00-12:00, 11:00-13:00"},
        "working_hours",
        "mon: intervals 09:00-12:00 and 11:00-13:00 overlap",
        id="overlapping-intervals",
    ),
    pytest.param(
        {"working_hours_tue": "9 to 5"}, "working_hours", "Tuesday: write", id="hours-notation"
    ),
    pytest.param(
        {"working_hours_wed": "09:00-25:00"}, "working_hours", "not a valid time", id="bad-time"
    ),
    pytest.param({"holiday_country": "XX"}, "holiday_country", "XX", id="unknown-country"),
    pytest.param(
        {"holiday_subdivision": "ZZ"}, "holiday_subdivision", "unknown subdivision", id="region"
    ),
    pytest.param({"timezone": "Mars/Base"}, "timezone", "unknown time zone", id="unknown-zone"),
    pytest.param(
        {"closures": "2026-12-24\n24.12.2026"}, "closures", "'24.12.2026' is not a date", id="date"
    ),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD_INPUTS)
def test_bad_input_is_shown_on_its_field_and_nothing_is_saved(
    world: World, changes: dict[str, str], field: str, message: str
) -> None:
    before = snapshot(world.a.tele)
    response = client_for(world.a.tele_manager).post(url(world.a.tele), form_data(**changes))
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in errors[field][0]
    html = response.content.decode()
    assert f'has-error" data-field="{field}"' in html
    assert snapshot(world.a.tele) == before


def test_bad_input_keeps_what_was_typed(world: World) -> None:
    data = form_data(working_hours_mon="09:00-12:00, 11:00-13:00", timezone="Asia/Tokyo")
    html = client_for(world.a.tele_manager).post(url(world.a.tele), data).content.decode()
    assert 'value="09:00-12:00, 11:00-13:00"' in html
    assert 'value="Asia/Tokyo"' in html


# ---------------------------------------------------------------- who may


def _person(world: World, name: str) -> Any:
    """`"a.inside"` -> world.a.inside, `"admin"` -> world.admin; teams too."""
    side, _, role = name.partition(".")
    if not role:
        return getattr(world, side)
    return getattr(getattr(world, side), role)


@pytest.mark.parametrize(
    ("who", "team", "status"),
    [
        ("a.tele_manager", "a.tele", 200),
        ("a.sales_manager", "a.sales", 200),
        ("admin", "b.tele", 200),
        ("a.tele_manager", "a.sales", 403),
        ("a.tele_manager", "b.tele", 403),
        ("b.sales_manager", "a.sales", 403),
        ("a.inside", "a.tele", 403),
        ("a.inside2", "a.tele", 403),
        ("a.sales_rep", "a.sales", 403),
        ("marketing", "a.tele", 403),
    ],
)
def test_only_the_teams_manager_or_an_admin_may_open_or_save(
    world: World, who: str, team: str, status: int
) -> None:
    target = _person(world, team)  # a Team, found the same way
    assert isinstance(target, Team)
    client = client_for(_person(world, who))
    assert client.get(url(target)).status_code == status
    before = snapshot(target)
    response = client.post(url(target), form_data(timezone="Asia/Tokyo"))
    assert response.status_code == (302 if status == 200 else 403)
    assert (snapshot(target) == before) is (status != 200)


def test_unknown_team_is_404_and_anonymous_goes_to_login(world: World) -> None:
    assert client_for(world.admin).get("/teams/99999/calendar").status_code == 404
    response = Client().get(url(world.a.tele))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_team_list_shows_the_calendars_one_may_edit(world: World) -> None:
    teams_url = reverse("accounts:team_list")
    manager = client_for(world.a.tele_manager).get(teams_url)
    assert manager.status_code == 200
    assert [t.pk for t in manager.context["teams"]] == [world.a.tele.pk]
    admin = client_for(world.admin).get(teams_url)
    assert {t.pk for t in admin.context["teams"]} == set(Team.objects.values_list("pk", flat=True))
    assert url(world.b.sales) in admin.content.decode()
    for user in (world.a.inside, world.a.sales_rep, world.marketing):
        assert client_for(user).get(teams_url).status_code == 403


def test_home_pages_link_to_team_settings(world: World) -> None:
    manager = client_for(world.a.tele_manager).get(reverse("web:home")).content.decode()
    assert url(world.a.tele) in manager
    assert reverse("campaigns:policy_list") in manager
    admin = client_for(world.admin).get(reverse("web:home")).content.decode()
    assert reverse("accounts:team_list") in admin
    assert reverse("campaigns:policy_list") in admin


def test_saving_needs_a_csrf_token(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.a.tele_manager)
    before = snapshot(world.a.tele)
    response = client.post(url(world.a.tele), form_data(timezone="Asia/Tokyo"))
    assert response.status_code == 403
    assert snapshot(world.a.tele) == before
    client.get(url(world.a.tele))  # sets the CSRF cookie, as a browser would
    token = client.cookies["csrftoken"].value
    data = form_data(timezone="Asia/Tokyo", csrfmiddlewaretoken=token)
    assert client.post(url(world.a.tele), data).status_code == 302
    assert snapshot(world.a.tele)[0] == "Asia/Tokyo"
