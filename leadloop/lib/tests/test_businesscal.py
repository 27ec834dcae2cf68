"""Tests for leadloop.lib.businesscal: fixed SLA cases, properties, and a cross-check.

Instants are compared and stepped in UTC on purpose: datetimes sharing a
ZoneInfo compare and subtract by wall time, and an inter-zone ``==`` is always
False for a time inside a DST fold (PEP 495).
"""

from __future__ import annotations

import dataclasses
import pickle
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import businesstimedelta
import holidays
import pytest
import pytz
from hypothesis import given, settings
from hypothesis import strategies as st

from leadloop.lib.businesscal import (
    Calendar,
    CalendarError,
    add_business_days,
    add_business_hours,
    business_time_between,
    is_open,
    next_open,
    parse_weekly,
    standard_calendar,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
US = timedelta(microseconds=1)
H = timedelta(hours=1)


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def ny(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


def utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC)


def every_day(*intervals: tuple[time, time]) -> dict[int, list[tuple[time, time]]]:
    return {day: list(intervals) for day in range(7)}


SPLIT = [(time(9), time(12)), (time(13), time(17, 30))]

STD_BERLIN = standard_calendar("Europe/Berlin", "DE", "BY")
SPLIT_NY = Calendar("America/New_York", {d: SPLIT for d in range(5)}, holiday_country="US")
NIGHT_BERLIN = Calendar("Europe/Berlin", every_day((time(1), time(4))))
NIGHT_NY = Calendar("America/New_York", every_day((time(1), time(4))))
ALMOST_24 = Calendar("Europe/Berlin", every_day((time(0), time(23, 59))))
# Interval bounds inside the spring gap / autumn fold, and a sparse week with closures.
ODD = Calendar(
    "Europe/Berlin",
    {2: [(time(10), time(10, 30))], 6: [(time(1), time(2, 30)), (time(2, 45), time(5))]},
    closures=frozenset({date(2026, 7, 1), date(2026, 7, 5)}),
)
LORD_HOWE = Calendar("Australia/Lord_Howe", every_day((time(1), time(3))), holiday_country="AU")

CALENDARS = [STD_BERLIN, SPLIT_NY, NIGHT_BERLIN, NIGHT_NY, ALMOST_24, ODD, LORD_HOWE]

# --------------------------------------------------------------------------- strategies

BASE = datetime(2025, 1, 1, tzinfo=UTC)
SPAN_US = 3 * 366 * 86_400 * 10**6

calendars = st.sampled_from(CALENDARS)
zones = st.sampled_from([UTC, BERLIN, NEW_YORK])


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    """Instants over three years (incl. DST changes), sometimes with microseconds."""
    seconds = draw(st.integers(0, SPAN_US // 10**6))
    micros = draw(st.sampled_from([0, 0, 1, 999_999, 500_000]))
    return (BASE + timedelta(seconds=seconds, microseconds=micros)).astimezone(draw(zones))


durations = st.one_of(
    st.integers(0, 400 * 3600).map(lambda s: timedelta(seconds=s)),
    st.integers(0, 10**8).map(lambda u: timedelta(microseconds=u)),
    st.sampled_from([timedelta(0), H, 8 * H, 12 * H, 3 * H + timedelta(minutes=30)]),
)
positive_durations = durations.filter(lambda d: d > timedelta(0))

FAST = settings(max_examples=200, deadline=None)


def is_interval_end(cal: Calendar, t: datetime) -> bool:
    # Step back in UTC: aware arithmetic in a ZoneInfo zone is wall-clock arithmetic.
    return not is_open(cal, t) and is_open(cal, utc(t) - US)


# --------------------------------------------------------------------------- properties


@FAST
@given(calendars, instants(), instants(), durations)
def test_monotonic_in_start(cal: Calendar, a: datetime, b: datetime, h: timedelta) -> None:
    a, b = sorted([a, b], key=utc)
    assert utc(add_business_hours(cal, a, h)) <= utc(add_business_hours(cal, b, h))


@FAST
@given(calendars, instants(), durations, durations)
def test_monotonic_in_hours(cal: Calendar, t: datetime, h1: timedelta, h2: timedelta) -> None:
    h1, h2 = sorted([h1, h2])
    assert utc(add_business_hours(cal, t, h1)) <= utc(add_business_hours(cal, t, h2))


@FAST
@given(calendars, instants(), durations, positive_durations)
def test_composition(cal: Calendar, t: datetime, a: timedelta, b: timedelta) -> None:
    # b > 0: add(x, 0) moves an interval end to the next opening by definition.
    stepwise = add_business_hours(cal, add_business_hours(cal, t, a), b)
    assert utc(stepwise) == utc(add_business_hours(cal, t, a + b))


@FAST
@given(calendars, instants(), durations)
def test_between_inverts_add(cal: Calendar, t: datetime, h: timedelta) -> None:
    result = add_business_hours(cal, t, h)
    assert business_time_between(cal, t, result) == h
    assert business_time_between(cal, result, t) == -h


@FAST
@given(calendars, instants(), durations)
def test_result_never_in_closed_period(cal: Calendar, t: datetime, h: timedelta) -> None:
    result = add_business_hours(cal, t, h)
    assert result.tzinfo == ZoneInfo(cal.tz)
    assert utc(result) >= utc(t)
    assert is_open(cal, result) or (h > timedelta(0) and is_interval_end(cal, result))


@FAST
@given(calendars, instants())
def test_zero_hours_is_next_open(cal: Calendar, t: datetime) -> None:
    nxt = next_open(cal, t)
    assert utc(add_business_hours(cal, t, 0)) == utc(nxt)
    assert is_open(cal, nxt)
    assert (utc(nxt) == utc(t)) == is_open(cal, t)
    assert business_time_between(cal, t, nxt) == timedelta(0)


@FAST
@given(calendars, instants(), instants(), instants())
def test_between_is_additive(cal: Calendar, a: datetime, b: datetime, c: datetime) -> None:
    a, b, c = sorted([a, b, c], key=utc)
    ab, bc = business_time_between(cal, a, b), business_time_between(cal, b, c)
    assert ab >= timedelta(0)
    assert ab + bc == business_time_between(cal, a, c)


@FAST
@given(calendars, instants(), st.integers(0, 30))
def test_business_days_lands_on_a_close(cal: Calendar, t: datetime, days: int) -> None:
    result = add_business_days(cal, t, days)
    assert is_interval_end(cal, result)
    local = result.astimezone(ZoneInfo(cal.tz))
    assert next_open(cal, result).date() > local.date()  # the day's last interval
    assert utc(result) > utc(t)
    start_day = t.astimezone(ZoneInfo(cal.tz)).date()
    counted = sum(
        cal.is_business_day(start_day + timedelta(days=i))
        for i in range(1, (local.date() - start_day).days + 1)
    )
    assert counted == max(days, 1) or (days == 0 and local.date() == start_day)
    later = utc(add_business_days(cal, t, days + 1))
    # days=0 from a closed day (or after the close) already means the next business day.
    assert later > utc(result) or (days == 0 and later == utc(result))


# --------------------------------------------------------------------------- the motivating case


def test_saturday_lead_with_four_hours_is_due_monday_1300() -> None:
    cal = standard_calendar("Europe/Berlin")
    due = add_business_hours(cal, berlin(2026, 5, 9, 16), 4)  # Saturday 16:00
    assert due == berlin(2026, 5, 11, 13)  # Monday 13:00
    assert due != berlin(2026, 5, 12, 12)  # not Tuesday 12:00
    assert business_time_between(cal, berlin(2026, 5, 9, 16), due) == 4 * H


# --------------------------------------------------------------------------- fixed cases


def test_weekend_arrival() -> None:
    cal = standard_calendar("Europe/Berlin")
    assert add_business_hours(cal, berlin(2026, 5, 10, 23), 1) == berlin(2026, 5, 11, 10)
    assert not is_open(cal, berlin(2026, 5, 10, 12))
    assert next_open(cal, berlin(2026, 5, 9, 8)) == berlin(2026, 5, 11, 9)
    # Day counting starts after the arrival day; a Saturday is not a business day.
    assert add_business_days(cal, berlin(2026, 5, 9, 10), 0) == berlin(2026, 5, 11, 17)
    assert add_business_days(cal, berlin(2026, 5, 9, 10), 1) == berlin(2026, 5, 11, 17)
    assert add_business_days(cal, berlin(2026, 5, 9, 10), 2) == berlin(2026, 5, 12, 17)


def test_public_holiday_germany() -> None:
    # 2026-12-25 (Fri) and 12-26 (Sat) are holidays; 12-24 is a normal working day.
    assert add_business_hours(STD_BERLIN, berlin(2026, 12, 24, 16), 4) == berlin(2026, 12, 28, 12)
    assert not is_open(STD_BERLIN, berlin(2026, 12, 25, 10))
    assert add_business_hours(STD_BERLIN, berlin(2026, 12, 25, 10), 1) == berlin(2026, 12, 28, 10)
    assert business_time_between(
        STD_BERLIN, berlin(2026, 12, 24), berlin(2026, 12, 29)
    ) == timedelta(hours=16)
    # Without a holiday country Christmas is an ordinary Friday.
    plain = standard_calendar("Europe/Berlin")
    assert is_open(plain, berlin(2026, 12, 25, 10))


def test_public_holiday_subdivision() -> None:
    # Epiphany (2026-01-06, Tue) is a holiday in Bavaria but not in Berlin.
    assert not is_open(STD_BERLIN, berlin(2026, 1, 6, 10))
    assert is_open(standard_calendar("Europe/Berlin", "DE", "BE"), berlin(2026, 1, 6, 10))


def test_public_holiday_us_thanksgiving() -> None:
    cal = standard_calendar("America/New_York", "US")
    assert add_business_hours(cal, ny(2026, 11, 25, 16, 30), 2) == ny(2026, 11, 27, 10, 30)
    assert add_business_days(cal, ny(2026, 11, 25, 10), 1) == ny(2026, 11, 27, 17)


def test_after_and_before_hours() -> None:
    cal = standard_calendar("Europe/Berlin")
    assert add_business_hours(cal, berlin(2026, 5, 12, 18), 1) == berlin(2026, 5, 13, 10)
    assert add_business_hours(cal, berlin(2026, 5, 12, 7), 1) == berlin(2026, 5, 12, 10)
    assert add_business_hours(cal, berlin(2026, 5, 12, 17), 0) == berlin(2026, 5, 13, 9)
    # Ending exactly at the close returns the close, not the next morning.
    assert add_business_hours(cal, berlin(2026, 5, 12, 9), 8) == berlin(2026, 5, 12, 17)
    assert add_business_hours(cal, berlin(2026, 5, 15, 9), 8) == berlin(2026, 5, 15, 17)


def test_split_day() -> None:
    cal = Calendar("Europe/Berlin", {d: SPLIT for d in range(5)})
    assert add_business_hours(cal, berlin(2026, 5, 11, 11), 2) == berlin(2026, 5, 11, 14)
    assert add_business_hours(cal, berlin(2026, 5, 11, 10), 2) == berlin(2026, 5, 11, 12)
    assert add_business_hours(cal, berlin(2026, 5, 11, 12), 0) == berlin(2026, 5, 11, 13)
    assert add_business_hours(cal, berlin(2026, 5, 11, 16), 2) == berlin(2026, 5, 12, 9, 30)
    assert not is_open(cal, berlin(2026, 5, 11, 12))
    assert is_open(cal, berlin(2026, 5, 11, 12) - US)
    assert business_time_between(cal, berlin(2026, 5, 11), berlin(2026, 5, 12)) == timedelta(
        hours=7, minutes=30
    )
    assert add_business_days(cal, berlin(2026, 5, 11, 12, 30), 0) == berlin(2026, 5, 11, 17, 30)


def test_input_zone_does_not_matter_and_output_is_calendar_zone() -> None:
    cal = standard_calendar("Europe/Berlin")
    due = add_business_hours(cal, datetime(2026, 5, 9, 14, tzinfo=UTC), 4)
    assert due == berlin(2026, 5, 11, 13)
    assert due.tzinfo == BERLIN
    assert due.utcoffset() == 2 * H


def test_hour_types_agree() -> None:
    t = berlin(2026, 5, 11, 16)
    expected = berlin(2026, 5, 12, 9, 30)
    for hours in (1.5, Decimal("1.5"), timedelta(minutes=90)):
        assert add_business_hours(STD_BERLIN, t, hours) == expected
    assert add_business_hours(STD_BERLIN, t, Decimal("0.1")) == berlin(2026, 5, 11, 16, 6)


# --------------------------------------------------------------------------- DST


def test_dst_weekends_berlin_standard_week() -> None:
    cal = standard_calendar("Europe/Berlin")
    spring = add_business_hours(cal, berlin(2026, 3, 27, 16), 2)
    assert spring == berlin(2026, 3, 30, 10)
    assert spring.utcoffset() == 2 * H
    autumn = add_business_hours(cal, berlin(2026, 10, 23, 16), 2)
    assert autumn == berlin(2026, 10, 26, 10)
    assert autumn.utcoffset() == H
    assert business_time_between(cal, berlin(2026, 3, 27, 16), spring) == 2 * H


def test_dst_day_outside_interval_keeps_full_hours() -> None:
    cal = Calendar("Europe/Berlin", every_day((time(9), time(17))))
    for day in (date(2026, 3, 29), date(2026, 10, 25)):
        start = datetime.combine(day, time(0), BERLIN)
        assert business_time_between(cal, start, start + timedelta(days=1)) == 8 * H
    assert add_business_hours(cal, berlin(2026, 3, 28, 16), 2) == berlin(2026, 3, 29, 10)


@pytest.mark.parametrize(
    ("cal", "day", "expected", "close"),
    [
        (NIGHT_BERLIN, date(2026, 3, 29), 2 * H, time(4)),
        (NIGHT_BERLIN, date(2026, 10, 25), 4 * H, time(4)),
        (NIGHT_NY, date(2026, 3, 8), 2 * H, time(4)),
        (NIGHT_NY, date(2026, 11, 1), 4 * H, time(4)),
        (ALMOST_24, date(2026, 3, 29), timedelta(hours=22, minutes=59), time(23, 59)),
        (ALMOST_24, date(2026, 10, 25), timedelta(hours=24, minutes=59), time(23, 59)),
        (ALMOST_24, date(2026, 5, 10), timedelta(hours=23, minutes=59), time(23, 59)),
    ],
)
def test_jump_inside_interval_counts_real_time(
    cal: Calendar, day: date, expected: timedelta, close: time
) -> None:
    zone = ZoneInfo(cal.tz)
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    assert business_time_between(cal, start, end) == expected
    assert add_business_hours(cal, start, expected) == datetime.combine(day, close, zone)
    assert add_business_days(cal, start, 0) == datetime.combine(day, close, zone)


def test_add_across_spring_jump() -> None:
    # 01:00 CET + 1.5 real hours = 03:30 CEST (01:30 UTC).
    due = add_business_hours(NIGHT_BERLIN, berlin(2026, 3, 29, 1), 1.5)
    assert due == berlin(2026, 3, 29, 3, 30)
    assert utc(due) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    due_ny = add_business_hours(NIGHT_NY, ny(2026, 3, 8, 1), 1.5)
    assert utc(due_ny) == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 03:30 EDT


def test_add_across_autumn_fold() -> None:
    first = add_business_hours(NIGHT_BERLIN, berlin(2026, 10, 25, 1), 1.5)
    second = add_business_hours(NIGHT_BERLIN, berlin(2026, 10, 25, 1), 2.5)
    assert utc(first) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    assert utc(second) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET
    assert (first.fold, second.fold) == (0, 1)
    assert business_time_between(NIGHT_BERLIN, first, second) == H


def test_interval_bounds_in_gap_and_fold() -> None:
    # Sunday 01:00-02:30 + 02:45-05:00; on 2026-03-29 02:00-03:00 does not exist, so
    # both gap bounds mean the jump instant and the day is 01:00 CET .. 05:00 CEST = 3h.
    spring = berlin(2026, 3, 29)
    assert business_time_between(ODD, spring, spring + timedelta(days=1)) == 3 * H
    assert is_open(ODD, berlin(2026, 3, 29, 3, 15))
    # On 2026-10-25 02:30 and 02:45 happen twice; the first occurrence counts.
    autumn = berlin(2026, 10, 25)
    assert business_time_between(ODD, autumn, autumn + timedelta(days=1)) == timedelta(
        hours=1, minutes=30
    ) + timedelta(hours=3, minutes=15)
    gap_start = Calendar("Europe/Berlin", {6: [(time(2, 30), time(5))]})
    assert next_open(gap_start, spring) == berlin(2026, 3, 29, 3)
    assert utc(next_open(gap_start, spring)) == datetime(2026, 3, 29, 1, tzinfo=UTC)


def test_dst_new_york_standard_week() -> None:
    cal = standard_calendar("America/New_York")
    assert add_business_hours(cal, ny(2026, 3, 6, 16), 2) == ny(2026, 3, 9, 10)
    assert add_business_hours(cal, ny(2026, 10, 30, 16), 2) == ny(2026, 11, 2, 10)
    assert add_business_days(cal, ny(2026, 10, 30, 16), 1) == ny(2026, 11, 2, 17)


# --------------------------------------------------------------------------- closures and days


def test_closures() -> None:
    cal = standard_calendar("Europe/Berlin", closures=frozenset({date(2026, 5, 11)}))
    assert add_business_hours(cal, berlin(2026, 5, 8, 16), 2) == berlin(2026, 5, 12, 10)
    assert not is_open(cal, berlin(2026, 5, 11, 10))
    assert add_business_days(cal, berlin(2026, 5, 8, 10), 1) == berlin(2026, 5, 12, 17)
    assert not cal.is_business_day(date(2026, 5, 11))


def test_business_days() -> None:
    t = berlin(2026, 5, 4, 10)  # Monday
    assert add_business_days(STD_BERLIN, t, 0) == berlin(2026, 5, 4, 17)
    assert add_business_days(STD_BERLIN, t, 1) == berlin(2026, 5, 5, 17)
    assert add_business_days(STD_BERLIN, t, 7) == berlin(2026, 5, 13, 17)
    assert add_business_days(STD_BERLIN, berlin(2026, 5, 4, 23), 1) == berlin(2026, 5, 5, 17)
    assert add_business_days(STD_BERLIN, berlin(2026, 5, 4, 17), 0) == berlin(2026, 5, 5, 17)
    # Ascension Day (Thu 2026-05-14) is skipped.
    assert add_business_days(STD_BERLIN, berlin(2026, 5, 11, 10), 3) == berlin(2026, 5, 15, 17)


def test_between_examples() -> None:
    cal = standard_calendar("Europe/Berlin")
    a, b = berlin(2026, 5, 8, 16), berlin(2026, 5, 11, 10)
    assert business_time_between(cal, a, b) == 2 * H
    assert business_time_between(cal, b, a) == -2 * H
    assert business_time_between(cal, a, a) == timedelta(0)
    assert business_time_between(cal, berlin(2026, 5, 9), berlin(2026, 5, 10)) == timedelta(0)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"weekly": {}}, "weekly"),
        ({"weekly": {0: [], 6: []}}, "weekly"),
        ({"weekly": {0: [(time(9), time(12)), (time(11), time(17))]}}, "weekly"),
        ({"weekly": {0: [(time(17), time(9))]}}, "weekly"),
        ({"weekly": {0: [(time(9), time(9))]}}, "weekly"),
        ({"weekly": {7: [(time(9), time(17))]}}, "weekly"),
        ({"weekly": {0: [(time(9),)]}}, "weekly"),
        ({"weekly": {0: [("09:00", "17:00")]}}, "weekly"),
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"tz": ""}, "tz"),
        ({"holiday_country": "XX"}, "holiday_country"),
        ({"holiday_country": "DE", "holiday_subdivision": "ZZ"}, "holiday_subdivision"),
        ({"holiday_subdivision": "BY"}, "holiday_subdivision"),
        ({"closures": frozenset({datetime(2026, 1, 1, tzinfo=UTC)})}, "closures"),
    ],
)
def test_validation_names_the_field(kwargs: dict[str, object], field: str) -> None:
    params: dict[str, object] = {"tz": "Europe/Berlin", "weekly": {0: [(time(9), time(17))]}}
    params.update(kwargs)
    with pytest.raises(CalendarError) as excinfo:
        Calendar(**params)  # type: ignore[arg-type]
    assert excinfo.value.field == field
    assert isinstance(excinfo.value, ValueError)
    assert str(excinfo.value) == excinfo.value.message
    assert pickle.loads(pickle.dumps(excinfo.value)).field == field


def test_calendar_normalizes_and_is_hashable() -> None:
    a = Calendar("UTC", {0: [(time(13), time(17)), (time(9), time(12))], 3: []})
    b = Calendar("UTC", {0: ((time(9), time(12)), (time(13), time(17)))})
    assert a == b
    assert hash(a) == hash(b)
    assert a.weekly[0] == ((time(9), time(12)), (time(13), time(17)))
    with pytest.raises(TypeError):
        a.weekly[1] = []  # type: ignore[index]
    # Touching intervals are fine and behave as one.
    touching = Calendar("UTC", {0: [(time(9), time(12)), (time(12), time(13))]})
    assert is_open(touching, datetime(2026, 5, 11, 12, tzinfo=UTC))


def test_calendar_pickles_and_replaces() -> None:
    restored = pickle.loads(pickle.dumps(ODD))
    assert restored == ODD
    assert business_time_between(restored, berlin(2026, 3, 29), berlin(2026, 3, 30)) == 3 * H
    moved = dataclasses.replace(STD_BERLIN, tz="America/New_York")
    assert is_open(moved, ny(2026, 5, 11, 16, 30))
    assert not is_open(STD_BERLIN, ny(2026, 5, 11, 16, 30))


def test_subdivision_alias_is_accepted() -> None:
    cal = standard_calendar("Europe/Berlin", "DE", "BY")
    assert standard_calendar("Europe/Berlin", "DE", "Bayern").is_business_day(
        date(2026, 1, 6)
    ) == cal.is_business_day(date(2026, 1, 6))


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2026, 5, 11, 10)
    aware = berlin(2026, 5, 11, 10)
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open(STD_BERLIN, naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        next_open(STD_BERLIN, naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_hours(STD_BERLIN, naive, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_days(STD_BERLIN, naive, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        business_time_between(STD_BERLIN, aware, naive)


def test_bad_amounts() -> None:
    t = berlin(2026, 5, 11, 10)
    with pytest.raises(ValueError, match="negative"):
        add_business_hours(STD_BERLIN, t, -1)
    with pytest.raises(ValueError, match="negative"):
        add_business_hours(STD_BERLIN, t, timedelta(seconds=-1))
    with pytest.raises(ValueError, match="finite"):
        add_business_hours(STD_BERLIN, t, float("nan"))
    with pytest.raises(ValueError, match="finite"):
        add_business_hours(STD_BERLIN, t, Decimal("Infinity"))
    with pytest.raises(TypeError):
        add_business_hours(STD_BERLIN, t, True)
    with pytest.raises(ValueError, match="negative"):
        add_business_days(STD_BERLIN, t, -1)


def test_search_is_bounded() -> None:
    sundays = frozenset(date(2026, 5, 10) + timedelta(weeks=w) for w in range(600))
    cal = Calendar("UTC", {6: [(time(9), time(17))]}, closures=sundays)
    start = datetime(2026, 5, 9, tzinfo=UTC)
    with pytest.raises(CalendarError, match="3660"):
        next_open(cal, start)
    with pytest.raises(CalendarError, match="3660"):
        add_business_days(cal, start, 1)


# --------------------------------------------------------------------------- parse_weekly


def test_parse_weekly() -> None:
    weekly = parse_weekly(
        {
            "Mon": [["13:00", "17:30"], ["09:00", "12:00"]],
            "friday": [["9:00", "15:00:30"]],
            "sun": [],
        }
    )
    assert weekly == {0: SPLIT, 4: [(time(9), time(15, 0, 30))], 6: []}
    cal = Calendar("Europe/Berlin", weekly)
    assert is_open(cal, berlin(2026, 5, 11, 17, 15))


@pytest.mark.parametrize(
    "spec",
    [
        {"funday": [["09:00", "17:00"]]},
        {"mon": [["25:00", "26:00"]]},
        {"mon": [["9am", "5pm"]]},
        {"mon": [["09:00", "12:00"], ["11:00", "17:00"]]},
        {"mon": [["17:00", "09:00"]]},
        {"mon": [["09:00"]]},
        {"mon": "09:00-17:00"},
        {"mon": [["09:00", "17:00"]], "monday": [["09:00", "17:00"]]},
        [["09:00", "17:00"]],
    ],
)
def test_parse_weekly_errors(spec: object) -> None:
    with pytest.raises(CalendarError) as excinfo:
        parse_weekly(spec)  # type: ignore[arg-type]
    assert excinfo.value.field == "weekly"


# --------------------------------------------------------------------------- performance


def test_thousand_business_hours_is_fast() -> None:
    start = berlin(2026, 5, 9, 16)
    add_business_hours(STD_BERLIN, start, 1)  # warm the holiday cache for the module
    timings = []
    for _ in range(3):
        cal = standard_calendar("Europe/Berlin", "DE", "BY")  # fresh per-day span cache
        began = clock.perf_counter()
        due = add_business_hours(cal, start, 1000)
        timings.append(clock.perf_counter() - began)
        assert business_time_between(cal, start, due) == 1000 * H
    assert min(timings) < 0.010


# --------------------------------------------------------------------------- cross-check


def _reference_rule(tz: pytz.BaseTzInfo) -> businesstimedelta.Rules:
    days = set(holidays.country_holidays("DE", years=range(2024, 2029)).keys())
    return businesstimedelta.Rules(
        [
            businesstimedelta.WorkDayRule(
                start_time=time(9), end_time=time(17), working_days=[0, 1, 2, 3, 4], tz=tz
            ),
            businesstimedelta.HolidayRule(days, tz=tz),
        ]
    )


UTC_RULE = _reference_rule(pytz.utc)
BERLIN_RULE = _reference_rule(pytz.timezone("Europe/Berlin"))
UTC_CAL = standard_calendar("UTC", "DE")
BERLIN_CAL = standard_calendar("Europe/Berlin", "DE")


def _check_against_reference(
    cal: Calendar, rule: businesstimedelta.Rules, start: datetime, seconds: int, end: datetime
) -> None:
    expected = start + businesstimedelta.BusinessTimeDelta(rule, seconds=seconds)
    assert add_business_hours(cal, start, timedelta(seconds=seconds)) == expected
    a, b = sorted([start, end])
    assert business_time_between(cal, a, b) == rule.difference(a, b).timedelta


@FAST
@given(
    st.integers(0, 3 * 365 * 86_400),
    st.integers(0, 300 * 3600),
    st.integers(-60 * 86_400, 60 * 86_400),
)
def test_matches_businesstimedelta_utc(offset: int, seconds: int, span: int) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=offset)
    _check_against_reference(UTC_CAL, UTC_RULE, start, seconds, start + timedelta(seconds=span))


@FAST
@given(
    st.integers(0, 150 * 86_400),
    st.integers(0, 200 * 3600),
    st.integers(0, 30 * 86_400),
)
def test_matches_businesstimedelta_berlin_summer(offset: int, seconds: int, span: int) -> None:
    # 2026-04-01 .. 2026-08-29 plus at most ~6 weeks stays inside CEST.
    start = datetime(2026, 4, 1, tzinfo=UTC) + timedelta(seconds=offset)
    end = start + timedelta(seconds=span)
    _check_against_reference(BERLIN_CAL, BERLIN_RULE, start, seconds, end)
