"""Business time in SQL agrees with lib.businesscal, and medians are exact on both databases."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db.models import F, Value
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadloop.accounts.calendars import team_calendar
from leadloop.accounts.choices import TeamKind
from leadloop.accounts.models import Team
from leadloop.lib.businesscal import business_time_between
from leadloop.reports import sqltime
from leadloop.sla.models import SlaClock
from leadloop.testing import NOW, World, make_lead

FIRST, LAST = date(2026, 3, 1), date(2026, 12, 31)


def _clock_rows(world: World, pairs: list[tuple[datetime, datetime]], team: Team) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    SlaClock.objects.bulk_create(
        SlaClock(
            lead=lead,
            kind="accept",
            team=team,
            user=world.a.sales_rep,
            started_at=t0,
            due_at=t1,
            warn_at=t1,
            result="met",
            stopped_at=t1,
        )
        for t0, t1 in pairs
    )


def _medians(team: Team) -> dict[tuple[object, ...], sqltime.Median]:
    rows = (
        SlaClock.objects.filter(kind="accept")
        .annotate(g=Value("all"), t0=F("started_at"), t1=F("stopped_at"))
        .values("g", "team_id", "t0", "t1")
    )
    return sqltime.business_medians(rows, groups=["g"], teams=[team], first=FIRST, last=LAST)


instants = st.datetimes(
    min_value=datetime(2026, 3, 20), max_value=datetime(2026, 11, 20), timezones=st.just(UTC)
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(starts=st.lists(instants, min_size=1, max_size=7), spans=st.data())
def test_sql_business_time_matches_businesscal(
    world: World, starts: list[datetime], spans: st.DataObject
) -> None:
    """Across DST changes (29 Mar, 25 Oct) and German holidays."""
    SlaClock.objects.filter(kind="accept").delete()
    team = world.a.sales
    pairs = []
    for t0 in starts:
        hours = spans.draw(st.floats(min_value=0, max_value=24 * 20))
        t0 = t0.replace(microsecond=0)
        pairs.append((t0, (t0 + timedelta(hours=hours)).replace(microsecond=0)))
    _clock_rows(world, pairs, team)
    cal = team_calendar(team)
    expected = statistics.median(
        business_time_between(cal, t0, t1).total_seconds() for t0, t1 in pairs
    )
    got = _medians(team)[("all",)]
    assert got.count == len(pairs)
    assert got.seconds == pytest.approx(expected, abs=1e-3)


def test_split_days_and_other_zones(world: World) -> None:
    """Two openings a day, in a zone whose day crosses UTC midnight."""
    team = Team.objects.create(
        name="Sydney Sales",
        kind=TeamKind.SALES,
        timezone="Australia/Sydney",
        holiday_country="AU",
        working_hours={
            d: [["08:00", "12:00"], ["13:00", "18:30"]] for d in ("mon", "tue", "wed", "thu", "fri")
        },
    )
    pairs = [
        (NOW - timedelta(days=3, hours=5), NOW),
        (NOW - timedelta(hours=13), NOW + timedelta(hours=2)),
        (NOW - timedelta(days=40), NOW - timedelta(days=2, minutes=7)),
    ]
    _clock_rows(world, pairs, team)
    cal = team_calendar(team)
    expected = statistics.median(
        business_time_between(cal, t0, t1).total_seconds() for t0, t1 in pairs
    )
    assert _medians(team)[("all",)].seconds == pytest.approx(expected, abs=1e-3)


def test_even_count_median_is_the_mean_of_the_middle_two(world: World) -> None:
    team = world.a.sales
    monday = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)  # 09:00 Berlin
    pairs = [(monday, monday + timedelta(hours=h)) for h in (1, 2, 4, 7)]
    _clock_rows(world, pairs, team)
    assert _medians(team)[("all",)].seconds == 3 * 3600
