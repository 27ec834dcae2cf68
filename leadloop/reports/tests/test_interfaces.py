"""Every report as a page, a CSV, JSON from the API and on the command line; who may see what."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from leadloop.accounts.models import User
from leadloop.lib import pages
from leadloop.reports import registry
from leadloop.reports.tests.dataset import REPORT_NOW, Data, build
from leadloop.testing import World, client_for

NAMES = list(registry.REPORTS)
NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "clock", lambda: REPORT_NOW)


@pytest.fixture
def data(world: World) -> Data:
    return build(world)


def api(client: Client, world: World, user: User, name: str, **params: Any) -> Any:
    return client.get(f"/api/v1/reports/{name}", params, **world.auth(user))


# ---------------------------------------------------------------- pages


@pytest.mark.parametrize("name", NAMES)
def test_report_page_renders_with_chart_and_links(data: Data, name: str) -> None:
    response = client_for(data.world.admin).get(reverse("reports:report", args=[name]), NOVEMBER)
    assert response.status_code == 200
    html = response.content.decode()
    assert registry.REPORTS[name].title in html
    assert "<svg" in html  # the chart, drawn on the server
    assert 'href="/leads/?' in html  # numbers link to the leads behind them
    assert not re.search(r'<(script|link)[^>]+(src|href)="(https?:)?//', html)  # no CDN
    assert f"/reports/{name}.csv?" in html


def test_index_lists_the_reports_and_the_nav_links_it(data: Data) -> None:
    client = client_for(data.world.a.tele_manager)
    html = client.get(reverse("reports:index")).content.decode()
    for spec in registry.REPORTS.values():
        assert spec.title in html
    assert reverse("reports:review") in html
    home = client.get(reverse("web:home")).content.decode()
    assert f'href="{reverse("reports:index")}"' in home


def test_filters_narrow_the_page(data: Data) -> None:
    client = client_for(data.world.admin)
    page = client.get(
        reverse("reports:report", args=["campaigns"]),
        {**NOVEMBER, "campaign": data.world.b.campaign.pk},
    ).content.decode()
    assert "Beta campaign</td>" in page
    assert "Alpha campaign</td>" not in page
    # A filter that cannot be read refuses the report: no numbers without the filter.
    bad = client.get(reverse("reports:report", args=["sla"]), {"date_from": "not a date"})
    assert bad.status_code == 422
    assert "Enter a valid date" in bad.content.decode()
    assert "<table" not in bad.content.decode()


def test_unknown_report_is_404(data: Data) -> None:
    client = client_for(data.world.admin)
    assert client.get(reverse("reports:report", args=["nope"])).status_code == 404
    assert client.get(reverse("reports:csv", args=["nope"])).status_code == 404


def test_reports_need_login(world: World) -> None:
    response = Client().get(reverse("reports:report", args=["sla"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


# ---------------------------------------------------------------- CSV


@pytest.mark.parametrize("name", NAMES)
def test_csv_export(data: Data, name: str) -> None:
    client = client_for(data.world.admin)
    response = client.get(reverse("reports:csv", args=[name]), NOVEMBER)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    report = registry.run(name, views_viewer(data.world.admin), _filters(), now=REPORT_NOW)
    first = report.tables[0]
    assert rows[0] == [c.label for c in first.columns]
    assert len(rows) == 1 + len(first.rows) + (1 if first.total else 0)


def test_csv_picks_a_table(data: Data) -> None:
    client = client_for(data.world.admin)
    response = client.get(
        reverse("reports:csv", args=["campaigns"]), {**NOVEMBER, "table": "by_channel"}
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "Channel"
    assert rows[2][:3] == ["Webinar", "1000.0", "2"]
    missing = client.get(reverse("reports:csv", args=["campaigns"]), {"table": "nope"})
    assert missing.status_code == 404


def views_viewer(user: User) -> Any:
    from zoneinfo import ZoneInfo

    from leadloop.reports.scope import Viewer

    return Viewer(user=user, tz=ZoneInfo("Europe/Berlin"))


def _filters() -> Any:
    from leadloop.reports.tests.dataset import NOVEMBER as FILTERS

    return FILTERS


# ---------------------------------------------------------------- JSON


@pytest.mark.parametrize("name", NAMES)
def test_api_returns_every_report(data: Data, name: str) -> None:
    client = Client()
    response = api(client, data.world, data.world.admin, name, **NOVEMBER)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == name
    assert body["date_from"] == "2026-11-01"
    table = body["tables"][0]
    assert {"key", "title", "note", "columns", "rows", "total"} <= set(table)
    cells = [cell for row in table["rows"] for cell in row.values()]
    assert all({"value", "leads"} <= set(cell) for cell in cells)
    assert any(cell["leads"] and cell["leads"].startswith("/leads/?") for cell in cells)


def test_api_values_match_the_page(data: Data) -> None:
    body = api(Client(), data.world, data.world.admin, "campaigns", **NOVEMBER).json()
    total = body["tables"][0]["total"]
    assert (total["leads"]["value"], total["qualified"]["value"], total["roi"]["value"]) == (
        8,
        3,
        5.0,
    )


def test_api_is_documented_and_validates(data: Data) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/reports/{name}"]["get"]
    assert operation["tags"] == ["reports"]
    assert {p["name"] for p in operation["parameters"]} >= {"name", "date_from", "team", "rep"}
    client = Client()
    assert api(client, data.world, data.world.admin, "nope").status_code == 404
    bad = api(client, data.world, data.world.admin, "sla", team=99999)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "team"]
    assert client.get("/api/v1/reports/sla").status_code == 401


# ---------------------------------------------------------------- command line


@pytest.mark.parametrize("name", NAMES)
def test_command_line(data: Data, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--from", "2026-11-01", "--to", "2026-11-30", "--now", REPORT_NOW.isoformat()]
    call_command("report", name, "--format", "json", *args)
    body = json.loads(capsys.readouterr().out)
    assert body["name"] == name
    call_command("report", name, "--format", "csv", *args)
    assert (
        capsys.readouterr()
        .out.splitlines()[0]
        .startswith(",".join(c["label"] for c in body["tables"][0]["columns"])[:10])
    )
    call_command("report", name, *args)
    text = capsys.readouterr().out
    assert body["title"] in text
    assert body["tables"][0]["title"] in text


def test_command_line_filters_by_name(data: Data, capsys: pytest.CaptureFixture[str]) -> None:
    call_command(
        "report",
        "campaigns",
        "--format",
        "json",
        "--campaign",
        "beta campaign",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--now",
        REPORT_NOW.isoformat(),
    )
    body = json.loads(capsys.readouterr().out)
    assert [r["campaign"]["value"] for r in body["tables"][0]["rows"]] == ["Beta campaign"]
    with pytest.raises(CommandError, match="--team 'Nowhere'"):
        call_command("report", "sla", "--team", "Nowhere")
    with pytest.raises(CommandError, match="date_to"):
        call_command("report", "sla", "--from", "2026-11-30", "--to", "2026-11-01")


# ---------------------------------------------------------------- who sees what


def _rep_names(body: dict[str, Any], table: str, column: str) -> set[str]:
    rows = next(t for t in body["tables"] if t["key"] == table)["rows"]
    return {r[column]["value"] for r in rows}


def test_inside_rep_sees_her_own_numbers_only(data: Data) -> None:
    world = data.world
    inside = world.a.inside
    client = Client()
    body = api(client, world, inside, "sla", **NOVEMBER).json()
    assert _rep_names(body, "by_rep", "group") == {"Alpha_Inside"}
    # Asking for a colleague changes nothing: a rep's filter is herself.
    asked = api(client, world, inside, "sla", rep=world.a.inside2.pk, **NOVEMBER)
    assert asked.status_code == 422  # not a rep she may pick
    tele = api(client, world, inside, "teleprospectors", **NOVEMBER).json()
    assert _rep_names(tele, "by_rep", "rep") == {"Alpha_Inside"}
    for name in ("campaigns", "funnel", "unreachable", "sales-accountability"):
        assert api(client, world, inside, name).status_code == 403, name
        page = client_for(inside).get(reverse("reports:report", args=[name]))
        assert page.status_code == 403, name
        assert client_for(inside).get(reverse("reports:csv", args=[name])).status_code == 403
    index = client_for(inside).get(reverse("reports:index")).content.decode()
    assert "Campaign ROI" not in index
    assert "Teleprospector results" in index
    assert "Monthly review pack" not in index
    page = client_for(inside).get(reverse("reports:report", args=["sla"]), NOVEMBER)
    assert "Your own numbers only" in page.content.decode()


def test_sales_rep_sees_her_accountability_only(data: Data) -> None:
    world = data.world
    body = api(Client(), world, world.a.sales_rep, "sales-accountability", **NOVEMBER).json()
    assert _rep_names(body, "by_rep", "rep") == {"Alpha_Sales"}
    for name in ("teleprospectors", "campaigns", "funnel", "unreachable"):
        assert api(Client(), world, world.a.sales_rep, name).status_code == 403, name
    # Every lead ever handed to her stays in her view, rejected (A5) and
    # recycled (A6) ones included, so her numbers are the full accounting.
    row = next(t for t in body["tables"] if t["key"] == "by_rep")["rows"][0]
    assert (row["received"]["value"], row["accepted"]["value"]) == (3, 2)
    assert row["rejected"]["value"] == 1


def test_managers_see_their_teams_marketing_everything(data: Data) -> None:
    world = data.world
    beta = api(Client(), world, world.b.tele_manager, "campaigns", **NOVEMBER).json()
    assert _rep_names(beta, "by_campaign", "campaign") == {"Beta campaign"}
    alpha = api(Client(), world, world.a.tele_manager, "sla", **NOVEMBER).json()
    assert "Beta_Inside" not in _rep_names(alpha, "by_rep", "group")
    everything = api(Client(), world, world.marketing, "campaigns", **NOVEMBER).json()
    assert _rep_names(everything, "by_campaign", "campaign") == {"Alpha campaign", "Beta campaign"}
    # A manager cannot pick another team.
    assert (
        api(Client(), world, world.b.tele_manager, "sla", team=world.a.tele.pk).status_code == 422
    )


def test_command_line_reads_as_a_user(data: Data, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(CommandError, match="may not open"):
        call_command("report", "campaigns", "--user", data.world.a.inside.username)
    call_command(
        "report",
        "sla",
        "--format",
        "json",
        "--user",
        data.world.b.tele_manager.username,
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--now",
        REPORT_NOW.isoformat(),
    )
    body = json.loads(capsys.readouterr().out)
    assert _rep_names(body, "by_rep", "group") == {"Beta_Inside"}


# ---------------------------------------------------------------- lead list drill-downs


def test_lead_list_shows_the_drilldown_filters_only_when_set(data: Data) -> None:
    client = client_for(data.world.admin)
    plain = client.get(reverse("web:lead_list")).content.decode()
    assert "SLA result" not in plain
    link = (
        f"{reverse('web:lead_list')}?sla=first_contact&sla_result=late"
        f"&as_of={REPORT_NOW.isoformat().replace('+', '%2B')}"
    )
    page = client.get(link).content.decode()
    assert "SLA result" in page
    for key in ("A4", "A5", "A6"):
        assert data[key].last_name in page
    assert data["A1"].last_name + "<" not in page
