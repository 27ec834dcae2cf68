"""The web pages: who sees what, the forms, htmx partials, CSRF, query counts."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.dateformat import format as date_format

from leadloop.accounts.models import User
from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead, LeadEvent, ReasonCode
from leadloop.lib import pages
from leadloop.lifecycle.transitions import lead_transition
from leadloop.outreach.models import Activity
from leadloop.testing import BANT, NOW, PASSWORD, World, client_for, hand_off, make_lead
from leadloop.web import views

BERLIN = ZoneInfo("Europe/Berlin")
ROLES = ["inside", "sales_rep", "tele_manager", "sales_manager", "marketing", "admin"]


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "clock", lambda: NOW)


def person(world: World, role: str) -> User:
    if role in ("marketing", "admin"):
        return getattr(world, role)  # type: ignore[no-any-return]
    return getattr(world.a, role)  # type: ignore[no-any-return]


@pytest.fixture
def leads(world: World) -> dict[str, Lead]:
    """An Alpha lead of each inside rep, one handed to Alpha sales, one Beta lead."""
    own = make_lead(world.a, owner=world.a.inside, last_name="Ownlead", company="Own GmbH")
    colleague = make_lead(world.a, owner=world.a.inside2, last_name="Colleague")
    handed = hand_off(world, make_lead(world.a, owner=world.a.inside, last_name="Sentover"))
    beta = make_lead(world.b, owner=world.b.inside, last_name="Betalead")
    return {"own": own, "colleague": colleague, "handed": handed, "beta": beta}


def local_input(moment: datetime) -> str:
    """How a Berlin user types `moment` into a datetime-local input."""
    return moment.astimezone(BERLIN).strftime("%Y-%m-%dT%H:%M")


def detail(lead: Lead) -> str:
    return reverse("web:lead_detail", args=[lead.pk])


def transition_url(lead: Lead) -> str:
    return reverse("web:lead_transition", args=[lead.pk])


# ---------------------------------------------------------------- login


def test_pages_need_login(world: World) -> None:
    client = Client()
    for url in (reverse("web:home"), reverse("web:lead_list")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("web:login"))


def test_login_and_post_logout(world: World) -> None:
    client = Client()
    page = client.get(reverse("web:login"))
    assert page.status_code == 200
    assert b"csrfmiddlewaretoken" in page.content
    response = client.post(
        reverse("web:login"), {"username": world.a.inside.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")
    assert client.get(reverse("web:home")).status_code == 200
    # Logging out is a POST: a GET (a link, an image) cannot log anyone out.
    assert client.get(reverse("web:logout")).status_code == 405
    response = client.post(reverse("web:logout"))
    assert response["Location"] == reverse("web:login")
    assert client.get(reverse("web:home")).status_code == 302


# ---------------------------------------------------------------- every page, every role


@pytest.mark.parametrize("role", ROLES)
def test_every_page_renders_for_each_role(world: World, leads: dict[str, Lead], role: str) -> None:
    user = person(world, role)
    client = client_for(user)
    home = client.get(reverse("web:home"))
    assert home.status_code == 200
    html = home.content.decode()
    assert "/static/django_htmx/htmx" in html  # htmx from the package, no CDN
    assert not re.search(r'<(script|link)[^>]+(src|href)="(https?:)?//', html)
    assert "Log out" in html
    assert "/api/v1/docs" in html
    assert client.get(reverse("web:lead_list")).status_code == 200
    visible = {
        "inside": "own",
        "sales_rep": "handed",
        "tele_manager": "colleague",
        "sales_manager": "handed",
        "marketing": "beta",
        "admin": "beta",
    }[role]
    assert client.get(detail(leads[visible])).status_code == 200


def test_home_pages_show_what_each_role_needs(world: World, leads: dict[str, Lead]) -> None:
    inside = client_for(world.a.inside).get(reverse("web:home")).content.decode()
    assert "My queue" in inside
    assert "Ownlead" in inside
    assert "Leads I handed off" in inside
    assert "Sentover" in inside
    assert "Colleague" not in inside
    sales = client_for(world.a.sales_rep).get(reverse("web:home")).content.decode()
    assert "Waiting for you to accept" in sales
    assert "Sentover" in sales
    assert "Ownlead" not in sales
    manager = client_for(world.a.tele_manager).get(reverse("web:home")).content.decode()
    assert "Open leads per inside rep" in manager
    assert "First contact overdue" in manager
    assert f"owner={world.a.inside2.pk}" in manager  # each number links to the list
    marketing = client_for(world.marketing).get(reverse("web:home")).content.decode()
    assert "Alpha campaign" in marketing
    assert "Beta campaign" in marketing
    assert f"campaign={world.a.campaign.pk}" in marketing
    admin = client_for(world.admin).get(reverse("web:home")).content.decode()
    assert "Django admin" in admin
    assert reverse("admin:index") in admin


def test_manager_sees_overdue_first_contacts(
    world: World, leads: dict[str, Lead], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "clock", lambda: NOW + timedelta(days=10))
    html = client_for(world.a.tele_manager).get(reverse("web:home")).content.decode()
    overdue = re.search(r'class="big bad"><a href="#overdue">(\d+)</a>', html)
    assert overdue is not None
    # The two open, never-contacted Alpha inside leads; not Beta's, and not the handed-off
    # one: it is with sales now, whatever its first contact was.
    assert int(overdue.group(1)) == 2
    assert "Betalead" not in html


# ---------------------------------------------------------------- who sees what


def test_inside_rep_sees_only_her_own_leads(world: World, leads: dict[str, Lead]) -> None:
    client = client_for(world.a.inside)
    assert client.get(detail(leads["own"])).status_code == 200
    assert client.get(detail(leads["beta"])).status_code == 404
    assert client.get(detail(leads["colleague"])).status_code == 404
    listing = client.get(reverse("web:lead_list")).content.decode()
    assert "Ownlead" in listing
    assert "Sentover" in listing
    assert "Betalead" not in listing
    assert "Colleague" not in listing


def test_a_lead_without_name_or_email_is_still_a_link_in_her_lists(world: World) -> None:
    phone_only = make_lead(
        world.a, owner=world.a.inside, first_name="", last_name="", email="", phone="+49 30 1234567"
    )
    anonymous = Lead.objects.filter(pk=make_lead(world.a, owner=world.a.inside).pk)
    anonymous.update(first_name="", last_name="", email="", phone="")  # an imported history row
    nameless = anonymous.get()
    client = client_for(world.a.inside)
    for url in (reverse("web:lead_list"), reverse("web:queue")):
        page = client.get(url).content.decode()
        assert f'{detail(phone_only)}">+49 30 1234567</a>' in page, url
        assert f'{detail(nameless)}">Lead {nameless.pk}</a>' in page, url
    assert f"<h1>Lead {nameless.pk} " in client.get(detail(nameless)).content.decode()


def test_custom_attributes_read_as_a_person_writes_them(world: World) -> None:
    lead = make_lead(
        world.a, owner=world.a.inside, attributes={"Newsletter": True, "Visits": 12, "Note": None}
    )
    page = client_for(world.a.inside).get(detail(lead)).content.decode()
    assert "<dt>Newsletter</dt><dd>yes</dd>" in page and "True" not in page
    assert "<dt>Visits</dt><dd>12</dd>" in page and "<dt>Note</dt><dd>—</dd>" in page


def test_sales_rep_sees_only_leads_handed_to_her(world: World, leads: dict[str, Lead]) -> None:
    client = client_for(world.a.sales_rep)
    assert client.get(detail(leads["handed"])).status_code == 200
    for other in ("own", "colleague", "beta"):
        assert client.get(detail(leads[other])).status_code == 404
    listing = client.get(reverse("web:lead_list")).content.decode()
    assert "Sentover" in listing
    assert "Ownlead" not in listing
    assert client_for(world.b.sales_rep).get(detail(leads["handed"])).status_code == 404


def test_manager_sees_her_team(world: World, leads: dict[str, Lead]) -> None:
    client = client_for(world.a.tele_manager)
    for name in ("own", "colleague", "handed"):
        assert client.get(detail(leads[name])).status_code == 200
    assert client.get(detail(leads["beta"])).status_code == 404
    listing = client.get(reverse("web:lead_list")).content.decode()
    assert "Colleague" in listing
    assert "Betalead" not in listing
    # The sales manager sees the lead handed to her team, not the inside team's others.
    sales_mgr = client_for(world.a.sales_manager)
    assert sales_mgr.get(detail(leads["handed"])).status_code == 200
    assert sales_mgr.get(detail(leads["own"])).status_code == 404


def test_marketing_sees_all_but_gets_no_action_forms(world: World, leads: dict[str, Lead]) -> None:
    client = client_for(world.marketing)
    for lead in leads.values():
        page = client.get(detail(lead))
        assert page.status_code == 200
        assert transition_url(lead).encode() not in page.content
        assert reverse("web:lead_activity", args=[lead.pk]).encode() not in page.content
    response = client.post(
        transition_url(leads["own"]),
        {"action": "start_work", "expected_version": leads["own"].version},
    )
    assert response.status_code == 403
    assert Lead.objects.get(pk=leads["own"].pk).stage == Stage.NEW


def test_lead_page_shows_actions_and_timeline(world: World, leads: dict[str, Lead]) -> None:
    lead = leads["handed"]
    Activity.objects.create(
        lead=lead,
        actor=world.a.inside,
        kind="call",
        outcome="connected",
        occurred_at=NOW + timedelta(hours=1),
        note="Spoke to the CFO",
        created_at=NOW,
    )
    html = client_for(world.a.sales_rep).get(detail(lead)).content.decode()
    for action in ("accept", "reject"):
        assert f'name="action" value="{action}"' in html
    assert 'name="reason_code"' in html  # reject needs a reason
    assert f'name="expected_version" value="{lead.version}"' in html
    # Newest first: the call (an hour later) above the handoff above the creation.
    call = html.index("Call · Connected")
    handoff = html.index("<strong>Hand off to sales")
    created = html.index("<strong>Created</strong>")
    assert call < handoff < created
    assert "Spoke to the CFO" in html
    assert "Pat" in html
    # Times in the viewer's zone (Europe/Berlin by default), not UTC.
    assert date_format(NOW.astimezone(BERLIN), "D j M Y, H:i") in html
    assert NOW.astimezone(BERLIN).hour != NOW.hour


def test_inside_rep_gets_the_handoff_form_with_every_criterion(
    world: World, leads: dict[str, Lead]
) -> None:
    html = client_for(world.a.inside).get(detail(leads["own"])).content.decode()
    for name in ("sales_rep", "meeting_at", "write_up", *(f"answer_{k}" for k in BANT)):
        assert f'name="{name}"' in html
    assert 'type="datetime-local"' in html
    # The suggested rep (the only one here) is chosen already.
    assert f'<option value="{world.a.sales_rep.pk}" selected>{world.a.sales_rep}</option>' in html
    assert str(world.b.sales_rep) not in html  # only reps of teams Alpha feeds


# ---------------------------------------------------------------- the lead list


def test_lead_list_filters(world: World, leads: dict[str, Lead]) -> None:
    client = client_for(world.admin)
    url = reverse("web:lead_list")

    def names(params: dict[str, Any]) -> set[str]:
        html = client.get(url, params).content.decode()
        return {n for n in ("Ownlead", "Colleague", "Sentover", "Betalead") if n in html}

    assert names({}) == {"Ownlead", "Colleague", "Sentover", "Betalead"}
    assert names({"stage": "handed_off"}) == {"Sentover"}
    assert names({"campaign": world.b.campaign.pk}) == {"Betalead"}
    assert names({"owner": world.a.inside2.pk}) == {"Colleague"}
    assert names({"q": "Own"}) == {"Ownlead"}
    assert names({"q": "Own GmbH"}) == {"Ownlead"}
    today = NOW.astimezone(BERLIN).date()
    assert names({"created_from": today + timedelta(days=1)}) == set()
    assert names({"created_from": today, "created_to": today}) == {
        "Ownlead",
        "Colleague",
        "Sentover",
        "Betalead",
    }
    assert names({"stage": "new,working,rejected,recycled", "campaign": world.a.campaign.pk}) == {
        "Ownlead",
        "Colleague",
    }
    # A bad value is reported and ignored, not a 500.
    response = client.get(url, {"stage": "bogus", "owner": "abc"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_lead_list_is_an_htmx_partial_when_asked(world: World, leads: dict[str, Lead]) -> None:
    client = client_for(world.admin)
    full = client.get(reverse("web:lead_list"))
    assert b"<html" in full.content
    assert b'hx-get="/leads/"' in full.content
    assert b'hx-target="#lead-table"' in full.content
    assert b'hx-push-url="true"' in full.content
    partial = client.get(
        reverse("web:lead_list"), {"stage": "handed_off"}, headers={"HX-Request": "true"}
    )
    assert partial.status_code == 200
    assert b"<html" not in partial.content
    assert b"<table" in partial.content
    assert b"Sentover" in partial.content
    assert b"Ownlead" not in partial.content
    assert "HX-Request" in partial["Vary"]
    # Restoring history after a cache miss needs the whole page.
    restore = client.get(
        reverse("web:lead_list"),
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert b"<html" in restore.content


def test_lead_list_pages_with_an_older_link(
    world: World, leads: dict[str, Lead], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    client = client_for(world.admin)
    first = client.get(reverse("web:lead_list")).content.decode()
    assert "Betalead" in first
    assert "Ownlead" not in first
    older = re.search(r'href="(\?cursor=[^"]+)"', first)
    assert older is not None
    second = client.get(reverse("web:lead_list") + older.group(1).replace("&amp;", "&"))
    html = second.content.decode()
    assert "Ownlead" in html
    assert "Betalead" not in html
    assert "Older" not in html
    assert "Newest" in html
    bad = client.get(reverse("web:lead_list"), {"cursor": "!!!"})
    assert bad.status_code == 200
    assert b"not valid" in bad.content


def test_lead_list_query_count_is_flat(
    world: World, leads: dict[str, Lead], django_assert_max_num_queries: Any
) -> None:
    client = client_for(world.a.tele_manager)
    url = reverse("web:lead_list")
    client.get(url)  # warm the session and content types

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for _ in range(15):
        make_lead(world.a, owner=world.a.inside2)
    assert count() == few
    # 15 for the page, one for the count of leads, one for the kinds of teams the
    # manager runs (her menu).
    with django_assert_max_num_queries(17):
        client.get(url)


# ---------------------------------------------------------------- transitions


def test_transition_moves_the_lead(world: World, leads: dict[str, Lead]) -> None:
    lead = leads["own"]
    reason = ReasonCode.objects.filter(kind="disqualify").first()
    assert reason is not None
    client = client_for(world.a.inside)
    response = client.post(
        transition_url(lead),
        {
            "action": "disqualify",
            "expected_version": lead.version,
            "reason_code": reason.pk,
            "note": "No budget at all",
        },
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.stage == Stage.DISQUALIFIED
    assert lead.reason_code == reason
    event = lead.events.get(action="disqualify")
    assert event.actor == world.a.inside
    assert event.data["note"] == "No budget at all"
    page = client.get(detail(lead)).content.decode()
    assert "Disqualified." in page
    assert "This lead is closed." in page


def test_handoff_through_the_form(world: World, leads: dict[str, Lead]) -> None:
    lead = leads["own"]
    meeting = NOW + timedelta(days=2, hours=5)
    data = {
        "action": "hand_off",
        "expected_version": lead.version,
        "sales_rep": world.a.sales_rep.pk,
        "meeting_at": local_input(meeting),
        "write_up": "Wants a demo.",
        "warm_call_confirmed": "on",
        **{f"answer_{k}": v for k, v in BANT.items()},
    }
    response = client_for(world.a.inside).post(transition_url(lead), data)
    assert response.status_code == 302, response.content.decode()
    lead.refresh_from_db()
    assert lead.stage == Stage.HANDED_OFF
    assert lead.sales_rep == world.a.sales_rep
    # datetime-local is read on the viewer's wall clock (Berlin), stored as the same instant.
    assert lead.meeting_at == meeting
    handoff = lead.handoffs.get()
    assert handoff.answers == BANT
    assert handoff.warm_call_confirmed


def test_missing_reason_code_rerenders_with_the_error(world: World, leads: dict[str, Lead]) -> None:
    lead = leads["own"]
    events = LeadEvent.objects.count()
    response = client_for(world.a.inside).post(
        transition_url(lead),
        {"action": "disqualify", "expected_version": lead.version, "note": "kept"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "This field is required" in html
    assert '<details class="action" open>' in html
    assert "kept</textarea>" in html  # what was typed is kept
    lead.refresh_from_db()
    assert lead.stage == Stage.NEW
    assert lead.version == leads["own"].version
    assert LeadEvent.objects.count() == events


def test_service_errors_land_on_the_field(world: World, leads: dict[str, Lead]) -> None:
    lead = leads["own"]
    data = {
        "action": "hand_off",
        "expected_version": lead.version,
        "sales_rep": world.a.sales_rep.pk,
        "meeting_at": local_input(NOW - timedelta(days=3)),
        "write_up": "Too late.",
        **{f"answer_{k}": v for k, v in BANT.items()},
    }
    response = client_for(world.a.inside).post(transition_url(lead), data)
    assert response.status_code == 422
    assert "the meeting must be in the future" in response.content.decode()
    assert Lead.objects.get(pk=lead.pk).stage == Stage.NEW


def test_stale_version_is_refused_with_a_message(world: World, leads: dict[str, Lead]) -> None:
    lead = leads["own"]
    old_version = lead.version
    lead_transition(lead=lead, action="start_work", actor=world.a.inside, now=NOW)
    response = client_for(world.a.inside).post(
        transition_url(lead), {"action": "mark_unreachable", "expected_version": old_version}
    )
    assert response.status_code == 409
    assert "changed since you opened it" in response.content.decode()
    lead.refresh_from_db()
    assert lead.stage == Stage.WORKING


def test_action_not_allowed_in_the_stage_is_refused(world: World, leads: dict[str, Lead]) -> None:
    lead = leads["own"]
    response = client_for(world.admin).post(
        transition_url(lead), {"action": "win", "expected_version": lead.version, "revenue": "10"}
    )
    assert response.status_code == 409
    assert "not allowed" in response.content.decode()
    assert Lead.objects.get(pk=lead.pk).stage == Stage.NEW


def test_cannot_act_on_a_lead_one_cannot_see(world: World, leads: dict[str, Lead]) -> None:
    response = client_for(world.a.inside).post(
        transition_url(leads["beta"]),
        {"action": "start_work", "expected_version": leads["beta"].version},
    )
    assert response.status_code == 404
    # A colleague on the sales side sees the lead but may not take inside actions.
    response = client_for(world.a.sales_rep).post(
        transition_url(leads["handed"]),
        {"action": "disqualify", "expected_version": leads["handed"].version},
    )
    assert response.status_code in (403, 409)


def test_log_activity(world: World, leads: dict[str, Lead]) -> None:
    lead = leads["own"]
    client = client_for(world.a.inside)
    url = reverse("web:lead_activity", args=[lead.pk])
    response = client.post(url, {"kind": "call", "outcome": "voicemail", "note": "Left a VM"})
    assert response.status_code == 302
    activity = Activity.objects.get(lead=lead)
    assert activity.actor == world.a.inside
    assert activity.outcome == "voicemail"
    lead.refresh_from_db()
    assert lead.stage == Stage.WORKING
    assert lead.first_contact_at == NOW
    bad = client.post(url, {"kind": "call", "outcome": "replied"})
    assert bad.status_code == 422
    assert "is not an outcome of a call" in bad.content.decode()
    assert Activity.objects.filter(lead=lead).count() == 1


# ---------------------------------------------------------------- CSRF


def test_forms_are_csrf_protected(world: World, leads: dict[str, Lead]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.a.inside)
    lead = leads["own"]
    data = {"action": "start_work", "expected_version": lead.version}
    assert client.post(transition_url(lead), data).status_code == 403
    assert (
        client.post(reverse("web:lead_activity", args=[lead.pk]), {"kind": "note"}).status_code
        == 403
    )
    assert Lead.objects.get(pk=lead.pk).stage == Stage.NEW
    # The page's own form carries the token, and with it the post goes through.
    page = client.get(detail(lead)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    response = client.post(transition_url(lead), {**data, "csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 302
    assert Lead.objects.get(pk=lead.pk).stage == Stage.WORKING


def test_lead_page_query_count_is_pinned_and_flat(world: World, leads: dict[str, Lead]) -> None:
    """The lead page reads a fixed set of things, however long the lead's history."""
    lead = leads["own"]
    client = client_for(world.a.inside)
    client.get(detail(lead))  # the session and content types, once

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(detail(lead)).status_code == 200
        return len(ctx.captured_queries)

    def call(n: int) -> None:
        Activity.objects.create(
            lead=lead,
            actor=world.a.inside,
            kind="call",
            outcome="no_answer",
            occurred_at=NOW + timedelta(minutes=n),
            created_at=NOW,
        )

    call(0)
    few = count()
    for n in range(1, 13):
        call(n)
    assert count() == few
    assert few == LEAD_PAGE_QUERIES


# What the lead page of an inside rep's own lead costs today; a change that adds a
# query per lead page has to say so here.
LEAD_PAGE_QUERIES = 30
