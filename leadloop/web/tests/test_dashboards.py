"""Each role's home leads with its few numbers, each linking to the leads behind it,
computed in a handful of set-based queries whatever the number of leads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadloop.followup import selectors as followup_selectors
from leadloop.followup.choices import TaskStatus
from leadloop.followup.models import CadenceTask
from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead
from leadloop.leads.states import INSIDE_OPEN
from leadloop.lib import pages
from leadloop.lifecycle.transitions import lead_transition
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
    last_week = [make_lead(world.a, now=NOW - timedelta(days=8)) for _ in range(3)]
    make_lead(world.b, now=NOW - timedelta(days=1))  # another team's: not counted
    first = {
        lead.pk: SlaClock.objects.get(lead=lead, kind=ClockKind.FIRST_CONTACT)
        for lead in this_week + last_week
    }
    # This week: 3 met, 1 late and still open. Last week: 1 met, 2 late.
    for lead in this_week[:3] + last_week[:1]:
        SlaClock.objects.filter(pk=first[lead.pk].pk).update(result=ClockResult.MET, stopped_at=NOW)
    SlaClock.objects.filter(pk=first[this_week[3].pk].pk).update(
        result=ClockResult.BREACHED, due_at=NOW - timedelta(hours=1)
    )
    # Last week's two fell due by this time last week (Wed 11 Nov, 11:00 in Berlin).
    for lead in last_week[1:]:
        SlaClock.objects.filter(pk=first[lead.pk].pk).update(
            result=ClockResult.BREACHED, due_at=NOW - timedelta(days=7, hours=1)
        )
    board = tiles(dashboard.manager(manager, NOW, BERLIN))
    assert board["compliance"].value == "75 %"
    change = board["compliance"].change
    assert change is not None
    assert (change.text, change.tone) == ("▲ 75 % vs 33 % last week", "good")
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
    missed = board["breaches"].change
    assert missed is not None
    # Fewer deadlines missed than by this time last week: good news, in green.
    assert missed.text == "▼ 1 missed this week vs 2 last week to date"
    assert missed.tone == "good"
    # The numbers link to their leads: this week's missed SLA is this_week[3].
    assert listed(world, manager, board["compliance"].href) == 1
    assert listed(world, manager, board["breaches"].href) == late_open


def test_manager_sees_feedback_owed_now_against_a_week_ago(world: World) -> None:
    """What was owed a week ago is read from the clocks' own record (started, due,
    stopped), so the comparison needs no snapshot."""
    leads = [make_lead(world.a, now=NOW - timedelta(days=12)) for _ in range(5)]
    clocks = [SlaClock.objects.get(lead=lead, kind=ClockKind.FIRST_CONTACT) for lead in leads]
    days = [timedelta(days=n) for n in range(13)]
    spans = [
        # started, due, stopped: owed a week ago only (given since)
        (days[10], days[9], days[2], ClockResult.BREACHED),
        # owed then and still owed
        (days[10], days[8], None, ClockResult.BREACHED),
        # owed now only (two)
        (days[3], days[1], None, ClockResult.BREACHED),
        (days[3], days[1], None, ClockResult.BREACHED),
        # given before it was owed a week ago: neither
        (days[10], days[9], days[8], ClockResult.BREACHED),
    ]
    for clock, (started, due, stopped, result) in zip(clocks, spans, strict=True):
        SlaClock.objects.filter(pk=clock.pk).update(
            kind=ClockKind.FEEDBACK,
            started_at=NOW - started,
            due_at=NOW - due,
            stopped_at=None if stopped is None else NOW - stopped,
            result=result,
        )
    board = tiles(dashboard.manager(world.a.tele_manager, NOW, BERLIN))
    assert board["feedback"].value == "3"
    change = board["feedback"].change
    assert change is not None
    assert (change.text, change.tone) == ("▲ 3 vs 2 a week ago", "bad")


def test_marketing_sees_this_months_leads_and_qualified_by_campaign(world: World) -> None:
    world.a.campaign.cost = Decimal(1000)
    world.a.campaign.save(update_fields=["cost"])
    leads = [make_lead(world.a, now=NOW - timedelta(days=2)) for _ in range(3)]
    make_lead(world.a, now=NOW - timedelta(days=30))  # 19 October: after this day last month
    early = make_lead(world.a, owner=world.a.inside, now=NOW - timedelta(days=34))  # 15 Oct
    hand_off(world, early, now=NOW - timedelta(days=33))  # qualified 16 October
    hand_off(world, leads[0], now=NOW - timedelta(days=1))
    board = dashboard.marketing(world.marketing, NOW, BERLIN)
    numbers = tiles(board)
    assert numbers["leads"].value == "3"
    leads_change = numbers["leads"].change
    assert leads_change is not None
    assert leads_change.text == "▲ 3 vs 1 last month to date"
    assert numbers["qualified"].value == "1"
    qualified_change = numbers["qualified"].change
    assert qualified_change is not None
    assert (qualified_change.text, qualified_change.tone) == ("= 1 vs 1 last month to date", "")
    assert numbers["qualified_last"].value == "1"
    assert numbers["qualified_last"].trend == "of 2 leads that came in"
    # Cost per qualified lead: 1000 over two qualified now, over one on 1 November.
    cost = numbers["cost_per_qualified"].change
    assert cost is not None
    currency = settings.LEADLOOP_CURRENCY
    assert cost.text == f"▼ {currency} 500 vs {currency} 1,000 on 01 Nov"
    assert cost.tone == "good"
    line = next(line for line in board.campaigns if line.campaign == world.a.campaign)
    assert (line.leads, line.qualified) == (3, 1)
    assert line.leads_change is not None and line.leads_change.text.startswith("▲ 3 vs 1")
    assert listed(world, world.marketing, line.leads_href) == 3
    assert listed(world, world.marketing, line.qualified_href) == 1
    assert listed(world, world.marketing, numbers["leads"].href) == 3
    assert listed(world, world.marketing, numbers["qualified_last"].href) == 1


def test_inside_rep_sees_her_queue_due_today_and_her_hand_offs_fates(world: World) -> None:
    rep, sales = world.a.inside, world.a.sales_rep
    due = make_lead(world.a, owner=rep, now=NOW - timedelta(days=3))
    make_lead(world.a, owner=rep, now=NOW)
    handed = make_lead(world.a, owner=rep, now=NOW - timedelta(days=3))
    hand_off(world, handed, now=NOW - timedelta(hours=1))
    # Two more this month (Mon 16 Nov and Tue 10 Nov), one accepted, one rejected.
    monday = hand_off(
        world, make_lead(world.a, owner=rep, now=NOW - timedelta(days=9)), now=NOW - timedelta(2)
    )
    lead_transition(lead=monday, action="accept", actor=sales, now=NOW - timedelta(days=1))
    earlier = hand_off(
        world, make_lead(world.a, owner=rep, now=NOW - timedelta(days=9)), now=NOW - timedelta(8)
    )
    lead_transition(
        lead=earlier,
        action="reject",
        actor=sales,
        now=NOW - timedelta(days=7),
        data={"reason_code": "not_qualified", "note": "no budget"},
    )
    # Last month by this day: two handed off (5 Oct), both accepted, one since won.
    october = [
        hand_off(
            world,
            make_lead(world.a, owner=rep, now=NOW - timedelta(days=45)),
            now=NOW - timedelta(days=44),
        )
        for _ in range(2)
    ]
    for lead in october:
        lead_transition(lead=lead, action="accept", actor=sales, now=NOW - timedelta(days=43))
    Lead.objects.filter(pk=october[0].pk).update(stage=Stage.WON)
    board = tiles(dashboard.inside_rep(rep, NOW, BERLIN))
    assert board["queue"].value == "3"  # `earlier` came back to her
    assert board["with_sales"].value == "3"  # handed, monday, october[1]
    assert listed(world, rep, board["with_sales"].href) == 3
    owed = SlaClock.objects.filter(
        user=rep, stopped_at__isnull=True, lead__stage__in=INSIDE_OPEN, lead__owner=rep
    ).exclude(result=ClockResult.CANCELLED)
    tonight = datetime(2026, 11, 18, 23, 0, tzinfo=UTC)  # midnight in Berlin
    assert board["due"].value == str(owed.filter(due_at__lt=tonight).count())
    assert due.pk  # her oldest lead is among them
    assert urlparse(board["queue"].href).path == "/queue/"
    # Hand-offs this week (Mon 16 and Wed 18) against last week by Wednesday (Tue 10).
    assert board["handoffs"].value == "2"
    assert _text(board["handoffs"]) == "▲ 2 vs 1 last week to date"
    assert listed(world, rep, board["handoffs"].href) == 2
    # What became of this month's three against last month's two to the same day.
    assert (board["accepted"].value, _text(board["accepted"])) == (
        "1",
        "▼ 1 vs 2 last month to date",
    )
    assert board["accepted"].change is not None and board["accepted"].change.tone == "bad"
    assert (board["won"].value, _text(board["won"])) == ("0", "▼ 0 vs 1 last month to date")
    assert board["rejected"].value == "1"
    rejected = board["rejected"].change
    assert rejected is not None
    assert (rejected.text, rejected.tone) == ("▲ 1 vs 0 last month to date", "bad")
    for key in ("accepted", "won", "rejected"):
        assert listed(world, rep, board[key].href) == int(board[key].value), key


def _text(tile: dashboard.Tile) -> str:
    assert tile.change is not None
    return tile.change.text


def test_sales_rep_sees_inbox_tasks_and_feedback(world: World) -> None:
    hand_off(world, make_lead(world.a, owner=world.a.inside, now=NOW - timedelta(days=2)), now=NOW)
    page = client_for(world.a.sales_rep).get("/").content.decode()
    assert 'data-tile="inbox"' in page and 'data-tile="tasks"' in page
    assert 'data-tile="feedback"' in page


def test_sales_rep_sees_feedback_on_time_and_steps_done_this_week_against_last(
    world: World,
) -> None:
    rep = world.a.sales_rep
    # A prospect who missed the meeting on Thu 5 Nov: the follow-up cadence runs.
    lead = hand_off(
        world,
        make_lead(world.a, owner=world.a.inside, now=NOW - timedelta(days=16)),
        now=NOW - timedelta(days=15),
    )
    lead_transition(lead=lead, action="accept", actor=rep, now=NOW - timedelta(days=15))
    lead_transition(lead=lead, action="no_show", actor=rep, now=NOW - timedelta(days=13))
    steps = list(CadenceTask.objects.filter(assignee=rep).order_by("pk"))
    assert len(steps) >= 3
    # Done: two this week, one last week by Wednesday 11:00, one last week after that.
    for step, done in zip(steps, [1, 2, 24 * 7 + 1, 24 * 7 - 1], strict=False):
        CadenceTask.objects.filter(pk=step.pk).update(
            status=TaskStatus.DONE, done_at=NOW - timedelta(hours=done)
        )
    # Feedback given on time: one this week, two last week by this time.
    given = [
        hand_off(
            world,
            make_lead(world.a, owner=world.a.inside, now=NOW - timedelta(days=12)),
            now=NOW - timedelta(days=11),
        )
        for _ in range(3)
    ]
    for given_lead, hours in zip(given, [3, 24 * 7 + 2, 24 * 8], strict=True):
        SlaClock.objects.filter(lead=given_lead, kind=ClockKind.ACCEPT).update(
            kind=ClockKind.FEEDBACK,
            user=rep,
            result=ClockResult.MET,
            stopped_at=NOW - timedelta(hours=hours),
        )
    # A 30-day update is no feedback: not counted (the list behind the tile agrees).
    SlaClock.objects.filter(lead=lead, kind=ClockKind.ACCEPT).update(
        kind=ClockKind.UPDATE, user=rep, result=ClockResult.MET, stopped_at=NOW - timedelta(hours=4)
    )
    client = client_for(rep)
    page = client.get("/").content.decode()
    board = tiles(dashboard.sales_rep(rep, NOW, BERLIN, followup_selectors.my_debt(rep, NOW)))
    assert board["tasks_done"].value == "2"
    assert _text(board["tasks_done"]) == "▲ 2 vs 1 last week to date"
    assert listed(world, rep, board["tasks_done"].href) == 1  # both steps of the one lead
    assert board["feedback_on_time"].value == "1"
    assert _text(board["feedback_on_time"]) == "▼ 1 vs 2 last week to date"
    assert listed(world, rep, board["feedback_on_time"].href) == 1
    # On the page: the arrow with both values in words, and its meaning for screen readers.
    assert "▼ 1 vs 2 last week to date" in page
    assert 'class="trend trend-bad" data-trend="down" title="Worse"' in page
    assert '<span class="sr-only"> (worse)</span>' in page


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
