"""A sales team's manager switches its handoff suggestions to feedback weighting, in
the app and through the API; the handoff form's suggestions follow."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from leadloop.accounts.models import Team, User
from leadloop.accounts.services import set_handoff_weighting
from leadloop.handoff.assignment import suggest_sales_reps
from leadloop.lib import pages
from leadloop.lib.errors import NotPermitted
from leadloop.testing import NOW, World, client_for, make_lead


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "clock", lambda: NOW)


def weighted(team: Team) -> bool:
    team.refresh_from_db()
    return team.weight_handoffs_by_feedback


def api_path(team: Team) -> str:
    return f"/api/v1/teams/{team.pk}/handoff-weighting"


def api_put(client: Client, world: World, user: User, team: Team, body: Any) -> Any:
    return client.put(
        api_path(team), data=json.dumps(body), content_type="application/json", **world.auth(user)
    )


def test_the_sales_manager_turns_it_on_and_suggestions_say_so(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    assert {s.why for s in suggest_sales_reps(lead, NOW)} == {"round robin"}
    set_handoff_weighting(team=world.a.sales, actor=world.a.sales_manager, enabled=True)
    assert weighted(world.a.sales)
    assert {s.why for s in suggest_sales_reps(lead, NOW)} == {
        "round robin, weighted by feedback rate"
    }


def test_only_her_manager_or_an_admin_and_only_for_a_sales_team(world: World) -> None:
    for outsider in (world.b.sales_manager, world.a.sales_rep, world.marketing):
        with pytest.raises(NotPermitted):
            set_handoff_weighting(team=world.a.sales, actor=outsider, enabled=True)
    assert not weighted(world.a.sales)
    set_handoff_weighting(team=world.a.sales, actor=world.admin, enabled=True)
    assert weighted(world.a.sales)
    with pytest.raises(ValidationError) as exc:
        set_handoff_weighting(team=world.a.tele, actor=world.a.tele_manager, enabled=True)
    assert "weight_handoffs_by_feedback" in exc.value.message_dict
    assert not weighted(world.a.tele)


def test_the_settings_page_shows_the_switch_for_a_sales_team_only(world: World) -> None:
    sales = client_for(world.a.sales_manager)
    page = sales.get(reverse("accounts:team_calendar", args=[world.a.sales.pk]))
    assert page.status_code == 200
    assert 'id="handoff-weighting"' in page.content.decode()
    tele = client_for(world.a.tele_manager)
    page = tele.get(reverse("accounts:team_calendar", args=[world.a.tele.pk]))
    assert 'id="handoff-weighting"' not in page.content.decode()


def test_the_page_form_switches_it_on_and_off(world: World) -> None:
    url = reverse("accounts:team_handoff_weighting", args=[world.a.sales.pk])
    client = client_for(world.a.sales_manager)
    r = client.post(url, {"weight_handoffs_by_feedback": "on"}, follow=True)
    assert r.status_code == 200
    assert "weighted by each rep&#x27;s feedback rate" in r.content.decode()
    assert weighted(world.a.sales)
    client.post(url, {})  # an unticked box is not sent
    assert not weighted(world.a.sales)
    listing = client.get(reverse("accounts:team_list")).content.decode()
    assert "round robin" in listing


def test_the_page_form_refuses_others_and_a_missing_csrf_token(world: World) -> None:
    url = reverse("accounts:team_handoff_weighting", args=[world.a.sales.pk])
    other = client_for(world.b.sales_manager)
    assert other.post(url, {"weight_handoffs_by_feedback": "on"}).status_code == 403
    no_token = client_for(world.a.sales_manager, csrf=True)
    assert no_token.post(url, {"weight_handoffs_by_feedback": "on"}).status_code == 403
    assert not weighted(world.a.sales)


def test_api_reads_and_changes_it(client: Client, world: World) -> None:
    r = client.get(api_path(world.a.sales), **world.auth(world.a.sales_manager))
    assert r.status_code == 200
    assert r.json() == {"team": world.a.sales.pk, "weight_handoffs_by_feedback": False}
    r = api_put(
        client, world, world.a.sales_manager, world.a.sales, {"weight_handoffs_by_feedback": True}
    )
    assert r.status_code == 200, r.content
    assert r.json()["weight_handoffs_by_feedback"] is True and weighted(world.a.sales)


def test_api_refuses_others_a_teleprospecting_team_and_a_bad_body(
    client: Client, world: World
) -> None:
    on = {"weight_handoffs_by_feedback": True}
    assert api_put(client, world, world.b.sales_manager, world.a.sales, on).status_code == 403
    r = api_put(client, world, world.a.tele_manager, world.a.tele, on)
    assert r.status_code == 422 and "weight_handoffs_by_feedback" in r.content.decode()
    r = api_put(client, world, world.a.sales_manager, world.a.sales, {})
    assert r.status_code == 422 and "weight_handoffs_by_feedback" in r.content.decode()
    assert not weighted(world.a.sales) and not weighted(world.a.tele)
