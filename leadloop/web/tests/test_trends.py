"""The windows a home page number is compared over, and the words of its trend."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from leadloop.web.trends import compare, months, weeks

BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")


def test_this_week_runs_from_monday_and_last_week_to_the_same_point() -> None:
    now = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # Wednesday, 11:00 in Berlin
    week, before = weeks(now, BERLIN)
    assert week.start == datetime(2026, 11, 16, tzinfo=BERLIN)
    assert week.end == datetime(2026, 11, 19, tzinfo=BERLIN)  # runs to tonight
    assert (week.first_day, week.last_day) == (date(2026, 11, 16), date(2026, 11, 18))
    assert before.start == datetime(2026, 11, 9, tzinfo=BERLIN)
    assert before.end == datetime(2026, 11, 11, 11, 0, tzinfo=BERLIN)
    assert (before.first_day, before.last_day) == (date(2026, 11, 9), date(2026, 11, 11))
    assert before.words == "last week to date"


def test_the_week_is_the_readers() -> None:
    # Sunday 20:00 UTC is already Monday in Tokyo: a new week there, not in Berlin.
    now = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
    assert weeks(now, TOKYO)[0].first_day == date(2026, 11, 23)
    assert weeks(now, BERLIN)[0].first_day == date(2026, 11, 16)


def test_last_week_to_date_keeps_the_wall_clock_across_a_time_change() -> None:
    # Clocks went back on Sun 25 Oct 2026 in Berlin: Monday 09:00 still compares with 09:00.
    now = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # Mon 09:00 CET
    _, before = weeks(now, BERLIN)
    assert before.end == datetime(2026, 10, 26, 9, 0, tzinfo=BERLIN)


def test_this_month_against_last_month_to_the_same_day() -> None:
    now = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
    month, before = months(now, BERLIN)
    assert month.start == datetime(2026, 11, 1, tzinfo=BERLIN)
    assert month.first_day == date(2026, 11, 1)
    assert before.start == datetime(2026, 10, 1, tzinfo=BERLIN)
    assert before.end == datetime(2026, 10, 18, 11, 0, tzinfo=BERLIN)
    assert before.last_day == date(2026, 10, 18)
    assert before.words == "last month to date"


def test_a_shorter_last_month_stops_at_its_end() -> None:
    now = datetime(2027, 3, 31, 12, 0, tzinfo=UTC)
    _, before = months(now, BERLIN)
    assert before.start == datetime(2027, 2, 1, tzinfo=BERLIN)
    assert before.end == datetime(2027, 3, 1, tzinfo=BERLIN)
    assert before.last_day == date(2027, 2, 28)


def test_january_compares_with_december() -> None:
    now = datetime(2027, 1, 5, 12, 0, tzinfo=UTC)
    _, before = months(now, BERLIN)
    assert before.first_day == date(2026, 12, 1)
    assert before.end - before.start == timedelta(days=4, hours=13)


def test_more_is_better_by_default() -> None:
    up = compare(12, 9, "last week")
    assert (up.text, up.direction, up.tone) == ("▲ 12 vs 9 last week", "up", "good")
    assert up.meaning == "better"
    down = compare(3, 5, "last week")
    assert (down.text, down.tone, down.meaning) == ("▼ 3 vs 5 last week", "bad", "worse")


def test_fewer_breaches_is_good_news() -> None:
    fewer = compare(2, 7, "last week to date", more_is_better=False, what="missed")
    assert fewer.text == "▼ 2 missed vs 7 last week to date"
    assert fewer.tone == "good"
    assert compare(7, 2, "a week ago", more_is_better=False).tone == "bad"


def test_no_change_is_neither() -> None:
    same = compare(4, 4, "last month to date")
    assert (same.text, same.direction, same.tone) == ("= 4 vs 4 last month to date", "same", "")
    assert compare(5, 4, "x", more_is_better=None).tone == ""


def test_values_can_be_shown_as_the_tile_shows_them() -> None:
    trend = compare(0.75, 0.5, "last week", shown=("75 %", "50 %"))
    assert trend.text == "▲ 75 % vs 50 % last week"
    assert compare(1234, 1000, "x").text == "▲ 1,234 vs 1,000 x"
