"""A report asked for what it may not give is refused, the same at every door.

A filter naming a team, campaign or rep outside the reader's scope, a date
no calendar reaches, a window over three years: the page and the CSV answer
422 naming the filter (never the reader's own numbers in place of the ones
asked for), the API 422 with the field in `loc`, the command line an error
naming it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from leadloop.accounts.models import User
from leadloop.lib import pages
from leadloop.reports.filters import MAX_WINDOW_DAYS
from leadloop.reports.tests.dataset import REPORT_NOW, Data, build
from leadloop.testing import World, client_for

NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}
TODAY = REPORT_NOW.date()  # Monday 30 November 2026 in Berlin too


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "clock", lambda: REPORT_NOW)


@pytest.fixture
def data(world: World) -> Data:
    return build(world)


def api_get(world: World, user: User, name: str, **params: Any) -> Any:
    return Client().get(f"/api/v1/reports/{name}", params, **world.auth(user))


def refused_fields(response: Any) -> list[str]:
    return [d["loc"][-1] for d in response.json()["detail"]]


def cli(name: str, *args: str) -> None:
    call_command("report", name, "--now", REPORT_NOW.isoformat(), *args)


def assert_refused_everywhere(
    world: World, user: User, name: str, field: str, params: dict[str, Any], option: list[str]
) -> None:
    """The page, the CSV, the API and the command line all refuse, naming `field`."""
    page = client_for(user).get(reverse("reports:report", args=[name]), params)
    html = page.content.decode()
    assert page.status_code == 422, (field, page.status_code)
    assert f"<code>{field}</code>" in html and "This report was not run" in html
    assert "<table" not in html  # no numbers in place of the ones asked for
    csv = client_for(user).get(reverse("reports:csv", args=[name]), params)
    assert csv.status_code == 422
    assert csv.content.decode().startswith(f"{field}: ")
    response = api_get(world, user, name, **params)
    assert response.status_code == 422
    assert refused_fields(response) == [field]
    with pytest.raises(CommandError, match=f"^{field}: "):
        cli(name, "--user", user.username, *option)


# ---------------------------------------------------------------- scope


def test_an_inside_rep_asking_for_a_colleague_is_refused(data: Data) -> None:
    world = data.world
    colleague = world.a.inside2
    assert_refused_everywhere(
        world,
        world.a.inside,
        "sla",
        "rep",
        {**NOVEMBER, "rep": colleague.pk},
        ["--rep", colleague.username],
    )
    # Her own id is hers to ask for.
    mine = api_get(world, world.a.inside, "sla", rep=world.a.inside.pk, **NOVEMBER)
    assert mine.status_code == 200


def test_a_rep_asking_for_another_team_is_refused(data: Data) -> None:
    world = data.world
    beta = world.b.tele
    assert_refused_everywhere(
        world,
        world.a.inside,
        "sla",
        "team",
        {**NOVEMBER, "team": beta.pk},
        ["--team", beta.name],
    )
    message = api_get(world, world.a.inside, "sla", team=beta.pk).json()["detail"][0]["msg"]
    assert message == f"Team {beta.pk} is not one you may report on."


def test_a_manager_asking_for_another_teams_campaign_is_refused(data: Data) -> None:
    world = data.world
    assert_refused_everywhere(
        world,
        world.a.tele_manager,
        "campaigns",
        "campaign",
        {**NOVEMBER, "campaign": world.b.campaign.pk},
        ["--campaign", world.b.campaign.name],
    )
    # Beta's manager asks for her own campaign and gets it.
    page = client_for(world.b.tele_manager).get(
        reverse("reports:report", args=["campaigns"]),
        {**NOVEMBER, "campaign": world.b.campaign.pk},
    )
    assert page.status_code == 200 and "Beta campaign</td>" in page.content.decode()


def test_a_report_not_hers_is_403_whatever_its_filters(data: Data) -> None:
    world = data.world
    params = {"team": world.b.tele.pk, "date_to": "9999-12-31"}
    assert api_get(world, world.a.inside, "campaigns", **params).status_code == 403
    page = client_for(world.a.inside).get(reverse("reports:report", args=["campaigns"]), params)
    assert page.status_code == 403
    with pytest.raises(CommandError, match="may not open"):
        cli("campaigns", "--user", world.a.inside.username, "--team", world.b.tele.name)


# ---------------------------------------------------------------- dates and windows


@pytest.mark.parametrize(
    ("field", "value", "option"),
    [("date_to", "9999-12-31", "--to"), ("date_from", "0001-01-01", "--from")],
)
def test_a_date_no_calendar_reaches_is_422_naming_it(
    data: Data, field: str, value: str, option: str
) -> None:
    world = data.world
    assert_refused_everywhere(world, world.admin, "sla", field, {field: value}, [option, value])
    message = api_get(world, world.admin, "aging", **{field: value}).json()["detail"][0]["msg"]
    assert message == "must be between 1900-01-01 and 2999-12-31"


def test_a_window_over_three_years_is_refused(data: Data) -> None:
    world = data.world
    widest = (TODAY - timedelta(days=MAX_WINDOW_DAYS - 1)).isoformat()
    one_more = (TODAY - timedelta(days=MAX_WINDOW_DAYS)).isoformat()
    end = TODAY.isoformat()
    ok = api_get(world, world.admin, "sla", date_from=widest, date_to=end)
    assert ok.status_code == 200 and ok.json()["date_from"] == widest
    assert_refused_everywhere(
        world,
        world.admin,
        "sla",
        "date_from",
        {"date_from": one_more, "date_to": end},
        ["--from", one_more, "--to", end],
    )
    too_wide = api_get(world, world.admin, "funnel", date_from=one_more, date_to=end)
    assert "at most 1096 days (3 years)" in too_wide.json()["detail"][0]["msg"]
    # Without date_to the window ends today (the reader's), on the page as in the API.
    page = client_for(world.admin).get(
        reverse("reports:report", args=["aging"]), {"date_from": one_more}
    )
    assert page.status_code == 422
    assert "a report covers at most 1096 days (3 years)" in page.content.decode()
    fits = client_for(world.admin).get(
        reverse("reports:report", args=["aging"]), {"date_from": widest}
    )
    assert fits.status_code == 200


def test_the_window_and_the_refusals_are_documented(world: World) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/reports/{name}"]["get"]
    assert "at most 1096 days (3 years)" in operation["description"]
    assert "422 naming it" in operation["description"]
    assert "503" in operation["responses"]
    date_from = next(p for p in operation["parameters"] if p["name"] == "date_from")
    assert "At most 1096 days" in date_from["description"]


# ---------------------------------------------------------------- reasons by team


def test_reasons_by_team_at_every_door(data: Data, capsys: pytest.CaptureFixture[str]) -> None:
    world = data.world
    alpha = world.a.tele
    response = api_get(world, world.admin, "reasons", team=alpha.pk, **NOVEMBER)
    assert response.status_code == 200, response.content
    by_team = next(t for t in response.json()["tables"] if t["key"] == "by_team")
    [row] = [r for r in by_team["rows"] if r["reason"]["value"] == "No budget"]
    assert (row["dim"]["value"], row["n"]["value"]) == ("Alpha Teleprospecting", 1)
    assert row["n"]["leads"].count(f"team={alpha.pk}") == 1
    page = client_for(world.admin).get(
        reverse("reports:report", args=["reasons"]), {**NOVEMBER, "team": alpha.pk}
    )
    assert page.status_code == 200 and "Alpha Teleprospecting" in page.content.decode()
    csv = client_for(world.admin).get(
        reverse("reports:csv", args=["reasons"]), {**NOVEMBER, "team": alpha.pk}
    )
    assert csv.status_code == 200
    cli("reasons", "--team", alpha.name, "--from", "2026-11-01", "--to", "2026-11-30")
    assert "No budget" in capsys.readouterr().out
    # A sales team's reasons: those its reps gave, none here but the rejection's own.
    sales = api_get(world, world.admin, "reasons", team=world.a.sales.pk, **NOVEMBER)
    assert sales.status_code == 200
    assert date.fromisoformat(sales.json()["date_to"]) == date(2026, 11, 30)
