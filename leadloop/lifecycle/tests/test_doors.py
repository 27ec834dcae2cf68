"""The doors other than the pages: claims through the API, the Django admin, the tick.

Claims are taken on purpose, by someone who may work the lead; the admin
shows lead data and never writes it, and only admins reach it; the tick
reads `--now` in any offset and works in UTC, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from zoneinfo import ZoneInfo

from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leadloop.accounts.choices import Role
from leadloop.accounts.models import Team
from leadloop.accounts.services import create_user, set_role
from leadloop.leads.choices import EventKind, Stage
from leadloop.leads.models import Lead, LeadEvent
from leadloop.outreach.models import Activity
from leadloop.sla.choices import ClockKind, ClockResult
from leadloop.sla.models import SlaClock
from leadloop.testing import NOW, PASSWORD, World, api, client_for, hand_off, make_lead

# ---------------------------------------------------------------- claims through the API


def test_api_reading_a_lead_never_claims_it(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    for reader in (world.a.inside, world.a.tele_manager, world.marketing):
        assert api(world, reader, "get", f"/leads/{lead.pk}").status_code == 200
    assert Lead.objects.get(pk=lead.pk).claimed_by_id is None


def test_api_only_someone_who_may_work_a_lead_claims_it(world: World) -> None:
    lead = hand_off(world, make_lead(world.a, owner=world.a.inside), now=timezone.now())
    path = f"/leads/{lead.pk}/claim"
    # Marketing reads everything, works nothing; the inside rep's side is done.
    assert api(world, world.marketing, "post", path).status_code == 403
    assert api(world, world.a.inside, "post", path).status_code == 403
    assert api(world, world.b.sales_rep, "post", path).status_code == 404
    mine = api(world, world.a.sales_rep, "post", path)
    assert mine.status_code == 200 and mine.json()["claimed_until"].endswith("Z")
    taken = api(world, world.a.sales_manager, "post", path)
    assert taken.status_code == 409
    assert taken.json()["claimed_by"] == world.a.sales_rep.pk
    assert "(Europe/Berlin)" in taken.json()["detail"]  # her zone: the default
    # Accepting the hand-off (a stage change) releases the claim.
    answer = api(
        world, world.a.sales_rep, "post", f"/leads/{lead.pk}/transitions", {"action": "accept"}
    )
    assert answer.status_code == 200
    assert Lead.objects.get(pk=lead.pk).claimed_by_id is None


def test_api_a_claim_refusal_speaks_the_readers_zone(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside, now=timezone.now())
    assert api(world, world.a.inside, "post", f"/leads/{lead.pk}/claim").status_code == 200
    manager = world.a.tele_manager
    manager.timezone = "America/New_York"
    manager.save(update_fields=["timezone"])
    body = {"kind": "call", "outcome": "no_answer"}
    refused = api(world, manager, "post", f"/leads/{lead.pk}/activities", body)
    assert refused.status_code == 409
    held = Lead.objects.get(pk=lead.pk).claimed_until
    assert held is not None
    local = held.astimezone(ZoneInfo("America/New_York"))
    assert f"until {local:%H:%M} {local.tzname()} (America/New_York)" in refused.json()["detail"]
    assert not Activity.objects.filter(lead=lead).exists()


# ---------------------------------------------------------------- the admin


def test_only_admins_are_staff(world: World) -> None:
    assert world.admin.is_staff
    for user in (world.a.tele_manager, world.a.sales_manager, world.a.inside, world.marketing):
        assert not user.is_staff
    promoted = create_user(username="new_admin", role=Role.MANAGER, password=PASSWORD)
    assert not promoted.is_staff
    set_role(user=promoted, role=Role.ADMIN)
    assert promoted.is_staff
    set_role(user=promoted, role=Role.MANAGER)
    promoted.refresh_from_db()
    assert not promoted.is_staff


def test_a_manager_cannot_take_over_another_team_through_the_admin(world: World) -> None:
    manager = world.a.tele_manager
    client = client_for(manager)
    assert client.get("/admin/").status_code == 302  # to the admin's login: not staff
    beta = world.b.tele
    response = client.post(
        f"/admin/accounts/team/{beta.pk}/change/",
        {"name": beta.name, "kind": beta.kind, "manager": manager.pk},
    )
    assert response.status_code == 302
    assert Team.objects.get(pk=beta.pk).manager == world.b.tele_manager
    # Her own team's settings are in the app, scoped to her teams.
    assert client.get(reverse("accounts:team_list")).status_code == 200


def test_lead_data_is_read_only_in_the_admin(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    client = client_for(world.admin)
    change = f"/admin/leads/lead/{lead.pk}/change/"
    page = client.get(change)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    edited = client.post(change, {"stage": Stage.WON, "first_name": "Changed"})
    assert edited.status_code == 403
    lead.refresh_from_db()
    assert lead.stage == Stage.NEW and lead.first_name != "Changed"
    for model in ("leads/lead", "leads/leadevent", "outreach/activity", "followup/cadencetask"):
        assert client.get(f"/admin/{model}/add/").status_code == 403
    event = LeadEvent.objects.filter(lead=lead).first()
    assert event is not None
    assert (
        client.post(f"/admin/leads/leadevent/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    clock = SlaClock.objects.filter(lead=lead).first()
    assert clock is not None
    assert (
        client.post(f"/admin/sla/slaclock/{clock.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert LeadEvent.objects.filter(pk=event.pk).exists()


def test_the_admin_login_page_refuses_a_manager(world: World) -> None:
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": world.a.tele_manager.username, "password": PASSWORD},
    )
    assert response.status_code == 200  # the form again, with its error
    assert "staff account" in response.content.decode()


# ---------------------------------------------------------------- time, once


def test_tick_with_a_now_in_another_offset_breaches_at_the_right_instant(world: World) -> None:
    """On SQLite the sweep compares texts: a --now typed with +01:00 must mean the same
    instant as in UTC, not an hour early."""
    lead = make_lead(world.a, owner=world.a.inside)
    due = SlaClock.objects.get(lead=lead, kind=ClockKind.FIRST_CONTACT).due_at
    berlin = ZoneInfo("Europe/Berlin")

    def tick(at: object) -> str:
        out = StringIO()
        call_command("tick", "--now", at.astimezone(berlin).isoformat(), "--json", stdout=out)  # type: ignore[attr-defined]
        return out.getvalue()

    assert '"sla_breached": 0' in tick(due - timedelta(minutes=30))
    clock = SlaClock.objects.get(lead=lead, kind=ClockKind.FIRST_CONTACT)
    assert clock.result == ClockResult.RUNNING
    assert '"sla_breached": 1' in tick(due + timedelta(minutes=1))
    clock.refresh_from_db()
    assert clock.result == ClockResult.BREACHED and clock.breached_at == due + timedelta(minutes=1)
    assert LeadEvent.objects.filter(lead=lead, kind=EventKind.SLA_BREACHED).count() == 1
    assert due > NOW
