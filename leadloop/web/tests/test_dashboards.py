"""Each role's home leads with its few numbers, each linking to the leads behind it,
computed in a handful of set-based queries whatever the number of leads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadloop.leads.choices import Stage
from leadloop.lib import pages
from leadloop.sla.choices import ClockKind, ClockResult
from leadloop.sla.models import SlaClock
from leadloop.testing import World, client_for, hand_off, make_lead
from leadloop.web import dashboard

pytestmark = pytest.mark.django_db

# A Wednesday: this week began on Monday the 16th, last week on the 9th.
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(autouse=True)
def pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "clock", lambda: NOW)


def tiles(board: dashboard.Dashboard) -> dict[str, dashboard.Tile]:
    return {tile.key: tile for tile in board.tiles}


def listed(world: World, user: Any, href: str) -> int:
    """How many leads the list behind a tile shows (it says so in its count line)."""
    page = client_for(user).get(href).content.decode()
    line = page.split('class="list-count"><strong>', 1)[1].split("</strong>", 1)[0]
    return int(line.split()[0].replace(",", ""))


def test_manager_sees_this_weeks_compliance_against_last_and_open_breaches(
    world: World,
) -> None:
    manager = world.a.tele_manager
    this_week = [make_lead(world.a, now=NOW - timedelta(days=1)) for _ in range(4)]
    last_week = [make_lead(world.a, now=NOW - timedelta(days=8)) for _ in range(2)]
    make_lead(world.b, now=NOW - timedelta(days=1))  # another team's: not counted
    first = {
        lead.pk: SlaClock.objects.get(lead=lead, kind=ClockKind.FIRST_CONTACT)
        for lead in this_week + last_week
    }
    # This week: 3 met, 1 late and still open. Last week: 1 met, 1 late.
    for lead in this_week[:3] + last_week[:1]:
        SlaClock.objects.filter(pk=first[lead.pk].pk).update(result=ClockResult.MET, stopped_at=NOW)
    for lead in (this_week[3], last_week[1]):
        SlaClock.objects.filter(pk=first[lead.pk].pk).update(
            result=ClockResult.BREACHED, due_at=NOW - timedelta(hours=1)
        )
    board = tiles(dashboard.manager(manager, NOW, BERLIN))
    assert board["compliance"].value == "75 %"
    assert board["compliance"].trend == "▲ 25 pts on last week (50 %)"
    late_open = (
        SlaClock.objects.filter(team=world.a.tele, stopped_at__isnull=True)
        .filter(result=ClockResult.BREACHED)
        .count()
        + SlaClock.objects.filter(
            team=world.a.tele, stopped_at__isnull=True, result=ClockResult.RUNNING, due_at__lt=NOW
        ).count()
    )
    assert board["breaches"].value == str(late_open)
    assert board["breaches"].tone == "bad"
    # The numbers link to their leads: this week's missed SLA is this_week[3].
    assert listed(world, manager, board["compliance"].href) == 1
    assert listed(world, manager, board["breaches"].href) == late_open


def test_marketing_sees_this_months_leads_and_qualified_by_campaign(world: World) -> None:
    leads = [make_lead(world.a, now=NOW - timedelta(days=2)) for _ in range(3)]
    make_lead(world.a, now=NOW - timedelta(days=30))  # October
    hand_off(world, leads[0], now=NOW - timedelta(days=1))
    board = dashboard.marketing(world.marketing, NOW, BERLIN)
    numbers = tiles(board)
    assert numbers["leads"].value == "3"
    assert numbers["leads"].trend == "last month: 1 in all"
    assert numbers["qualified"].value == "1"
    line = next(line for line in board.campaigns if line.campaign == world.a.campaign)
    assert (line.leads, line.qualified) == (3, 1)
    assert listed(world, world.marketing, line.leads_href) == 3
    assert listed(world, world.marketing, line.qualified_href) == 1
    assert listed(world, world.marketing, numbers["leads"].href) == 3


def test_inside_rep_sees_her_queue_due_today_and_her_hand_offs_fates(world: World) -> None:
    rep = world.a.inside
    due = make_lead(world.a, owner=rep, now=NOW - timedelta(days=3))
    make_lead(world.a, owner=rep, now=NOW)
    handed = make_lead(world.a, owner=rep, now=NOW - timedelta(days=3))
    hand_off(world, handed, now=NOW - timedelta(hours=1))
    board = tiles(dashboard.inside_rep(rep, NOW, BERLIN))
    assert board["queue"].value == "2"
    assert board["with_sales"].value == "1"
    assert listed(world, rep, board["with_sales"].href) == 1
    owed = SlaClock.objects.filter(
        user=rep, stopped_at__isnull=True, lead__stage__in=[Stage.NEW, Stage.WORKING]
    ).exclude(result=ClockResult.CANCELLED)
    tonight = datetime(2026, 11, 18, 23, 0, tzinfo=UTC)  # midnight in Berlin
    assert board["due"].value == str(owed.filter(due_at__lt=tonight).count())
    assert due.pk  # her oldest lead is among them
    assert urlparse(board["queue"].href).path == "/queue/"


def test_sales_rep_sees_inbox_tasks_and_feedback(world: World) -> None:
    hand_off(world, make_lead(world.a, owner=world.a.inside, now=NOW - timedelta(days=2)), now=NOW)
    page = client_for(world.a.sales_rep).get("/").content.decode()
    assert 'data-tile="inbox"' in page and 'data-tile="tasks"' in page
    assert 'data-tile="feedback"' in page


@pytest.mark.parametrize(
    "who", ["a.tele_manager", "a.sales_manager", "marketing", "a.inside", "a.sales_rep"]
)
def test_home_queries_do_not_grow_with_leads(world: World, who: str) -> None:
    user = world
    for part in who.split("."):
        user = getattr(user, part)
    client = client_for(user)  # type: ignore[arg-type]
    # One handed-off lead first, so that no section is skipped for being empty.
    hand_off(world, make_lead(world.a, owner=world.a.inside, now=NOW - timedelta(days=1)), now=NOW)
    client.get("/")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(12):
        lead = make_lead(world.a, owner=world.a.inside, now=NOW - timedelta(days=i))
        if i % 3 == 0:
            hand_off(world, lead, now=NOW - timedelta(hours=i))
    assert count() == few
    assert few <= 40, few
