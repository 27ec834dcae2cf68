"""Shared test fixtures: two teleprospecting teams, each feeding a sales team,
with a rep of every kind, so tests can prove who may see what."""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.apps import apps
from django.contrib.auth.models import Group
from django.test import Client

from leadloop.accounts.choices import Role, TeamKind
from leadloop.accounts.models import Team, User
from leadloop.accounts.services import create_token, create_user
from leadloop.campaigns.choices import Channel
from leadloop.campaigns.models import Campaign
from leadloop.leads.models import Lead
from leadloop.lifecycle.intake import create_lead
from leadloop.lifecycle.transitions import lead_transition
from leadloop.sla.choices import INSIDE_KINDS
from leadloop.sla.models import SlaClock

# Tuesday 2026-11-17 10:00 in Berlin: inside business hours, and in the past, so
# API calls made at the real time come after it.
NOW = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)
PASSWORD = "leadloop-test-pw-1"
# Answers to every criterion of the default BANT definition.
BANT = {"budget": "50k approved", "authority": "CFO", "need": "lead routing", "timeline": "Q1"}


@dataclass
class Side:
    tele: Team
    sales: Team
    inside: User
    inside2: User
    sales_rep: User
    tele_manager: User
    sales_manager: User
    campaign: Campaign


@dataclass
class World:
    a: Side
    b: Side
    marketing: User
    admin: User
    tokens: dict[str, str]

    def token(self, user: User) -> str:
        return self.tokens[user.username]

    def auth(self, user: User) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token(user)}"}


def _side(name: str, channel: str) -> Side:
    tele = Team.objects.create(
        name=f"{name} Teleprospecting",
        kind=TeamKind.TELEPROSPECTING,
        timezone="Europe/Berlin",
        holiday_country="DE",
    )
    sales = Team.objects.create(
        name=f"{name} Sales", kind=TeamKind.SALES, timezone="Europe/Berlin", holiday_country="DE"
    )
    tele.feeds.add(sales)
    low = name.lower()

    def mk(username: str, role: str, team: Team) -> User:
        return create_user(
            username=username,
            role=role,
            team=team,
            password=PASSWORD,
            email=f"{username}@example.com",
            first_name=username.title(),
        )

    side = Side(
        tele=tele,
        sales=sales,
        inside=mk(f"{low}_inside", Role.INSIDE_REP, tele),
        inside2=mk(f"{low}_inside2", Role.INSIDE_REP, tele),
        sales_rep=mk(f"{low}_sales", Role.SALES_REP, sales),
        tele_manager=mk(f"{low}_tele_mgr", Role.MANAGER, tele),
        sales_manager=mk(f"{low}_sales_mgr", Role.MANAGER, sales),
        campaign=Campaign.objects.create(
            name=f"{name} campaign",
            channel=channel,
            team=tele,
            cost=1000,
            target_industries=["Software"],
        ),
    )
    tele.manager = side.tele_manager
    tele.save()
    sales.manager = side.sales_manager
    sales.save()
    return side


# The data migrations that create reference data (roles, reason codes, the
# qualification definition, source policies). A transactional test that ran
# before may have flushed it (Django's serialized rollback does not bring it
# back reliably with threads on SQLite's in-memory database), so a world
# restores it first; every function is idempotent.
REFERENCE_DATA = [
    ("leadloop.accounts.migrations.0002_role_groups", "create_role_groups"),
    ("leadloop.leads.migrations.0002_default_reason_codes", "create_reason_codes"),
    ("leadloop.handoff.migrations.0002_bant", "create_bant"),
    ("leadloop.campaigns.migrations.0002_default_source_policies", "create_default_policies"),
    ("leadloop.followup.migrations.0002_default_no_show_cadence", "create_default"),
]


def restore_reference_data() -> None:
    for module, function in REFERENCE_DATA:
        getattr(importlib.import_module(module), function)(apps, None)


def build_world() -> World:
    if not Group.objects.filter(name__in=Role.values).exists():
        restore_reference_data()
    a = _side("Alpha", Channel.WEB_RFI)
    b = _side("Beta", Channel.WEBINAR)
    marketing = create_user(username="marketing", role=Role.MARKETING, password=PASSWORD)
    admin = create_user(username="admin", role=Role.ADMIN, password=PASSWORD)
    tokens = {}
    for user in User.objects.all():
        tokens[user.username] = create_token(user=user, now=NOW)[1]
    return World(a=a, b=b, marketing=marketing, admin=admin, tokens=tokens)


_counter = [0]


def make_lead(side: Side, *, now: datetime = NOW, owner: User | None = None, **fields: Any) -> Lead:
    """A new lead on the side's campaign, assigned to `owner` (default: the round robin)."""
    _counter[0] += 1
    n = _counter[0]
    data = {
        "first_name": f"Pat{n}",
        "last_name": f"Lee{n}",
        "company": f"Acme {n}",
        "email": f"pat{n}@acme{n}.example",
        "country": "DE",
        **fields,
    }
    lead = create_lead(data=data, campaign=side.campaign, actor=None, now=now).lead
    if owner is not None and lead.owner_id != owner.pk:
        # As a reassignment would: the lead and the clocks she now owes.
        Lead.objects.filter(pk=lead.pk).update(owner=owner)
        SlaClock.objects.filter(lead=lead, kind__in=INSIDE_KINDS).update(user=owner)
        lead.refresh_from_db()
    return lead


def hand_off(world: World, lead: Lead, *, now: datetime = NOW) -> Lead:
    """Hand a team-Alpha lead from its inside rep to Alpha's sales rep, meeting in two days."""
    return lead_transition(
        lead=lead,
        action="hand_off",
        actor=world.a.inside,
        now=now,
        data={
            "sales_rep": world.a.sales_rep.pk,
            "meeting_at": now + timedelta(days=2),
            "answers": BANT,
            "write_up": "Ready to talk.",
            "warm_call_confirmed": True,
        },
    )


def api(world: World, user: User, method: str, path: str, body: Any = None, **headers: str) -> Any:
    """An API call as `user` (her bearer token), the body sent as JSON."""
    client = Client()
    call = getattr(client, method.lower())
    if body is None:
        return call(f"/api/v1{path}", **world.auth(user), **headers)
    return call(
        f"/api/v1{path}",
        data=json.dumps(body, default=str),
        content_type="application/json",
        **world.auth(user),
        **headers,
    )


def client_for(user: User, *, csrf: bool = False) -> Client:
    """A test client logged in as `user`; with `csrf`, forms without a token are refused."""
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def log_in(context: Any, username: str) -> Any:
    """A new page of a browser test's context, logged in as `username` (demo password)."""
    page = context.new_page()
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)  # "**/" matched /login/ too
    return page
