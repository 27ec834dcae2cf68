"""How a home page number moved: the windows it is compared over and the words for it.

A count this week is compared with last week *up to the same point* (Wednesday
10:00 against last Wednesday 10:00), and this month with last month to the same
day, so a Monday morning never looks like a collapse. Windows are the reader's
wall-clock days (her time zone); `now` is always passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo


@dataclass(frozen=True)
class Window:
    """One stretch of time, [start, end), and how a trend names it. A current window
    ends tonight; the one it is compared with at the same point of its week or month."""

    start: datetime
    end: datetime
    first_day: date  # the start as a day, for the lead list's day filters
    last_day: date  # the last day it covers (inclusive)
    words: str


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def _tonight(local: datetime, tz: tzinfo) -> datetime:
    """The end of the reader's today: a current window runs to it, as the lead list's
    day filters do (nothing is recorded after `now`)."""
    return _midnight(local.date() + timedelta(days=1), tz)


def _same_point(start: datetime, elapsed: timedelta, cap: datetime) -> datetime:
    """`start` plus the wall-clock time elapsed, no later than `cap`."""
    return min(start + elapsed, cap)


def weeks(now: datetime, tz: tzinfo) -> tuple[Window, Window]:
    """This week so far (since Monday midnight) and last week to the same point."""
    local = now.astimezone(tz)
    monday = local.date() - timedelta(days=local.weekday())
    start = _midnight(monday, tz)
    before = _midnight(monday - timedelta(days=7), tz)
    elapsed = local - start
    end_before = _same_point(before, elapsed, start)
    return (
        Window(start, _tonight(local, tz), monday, local.date(), "this week"),
        Window(
            before,
            end_before,
            monday - timedelta(days=7),
            (end_before - timedelta(microseconds=1)).date(),
            "last week to date",
        ),
    )


def months(now: datetime, tz: tzinfo) -> tuple[Window, Window]:
    """This month so far and last month to the same day and hour; a last month that
    is shorter stops at its end (31 March compares with all of February)."""
    local = now.astimezone(tz)
    first = local.date().replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    start = _midnight(first, tz)
    before = _midnight(previous, tz)
    elapsed = local - start
    end_before = _same_point(before, elapsed, start)
    return (
        Window(start, _tonight(local, tz), first, local.date(), "this month"),
        Window(
            before,
            end_before,
            previous,
            (end_before - timedelta(microseconds=1)).date(),
            "last month to date",
        ),
    )


UP, DOWN, SAME = "up", "down", "same"


@dataclass(frozen=True)
class Trend:
    """A number against its previous value: which way it went, whether that is good
    news, and the words ("▲ 12 vs 9 last week"), so no reader depends on colour."""

    direction: str
    tone: str  # "good", "bad" or "" (no change, or a move that is neither)
    text: str

    @property
    def arrow(self) -> str:
        return {UP: "▲", DOWN: "▼"}.get(self.direction, "=")

    @property
    def meaning(self) -> str:
        """The tone in words, for screen readers and the tooltip."""
        return {"good": "better", "bad": "worse"}.get(self.tone, "no better, no worse")


def compare(
    current: float,
    previous: float,
    since: str,
    *,
    more_is_better: bool | None = True,
    shown: tuple[str, str] | None = None,
    what: str = "",
) -> Trend:
    """`current` against `previous` ("since" names the previous window). `shown`
    gives both values as displayed (money, percentages); counts by default.
    `what` says what the values count when the tile's own number is another.
    `more_is_better` None: a move is neither good nor bad."""
    now_text, then_text = shown or (f"{current:,.0f}", f"{previous:,.0f}")
    direction = UP if current > previous else DOWN if current < previous else SAME
    tone = ""
    if direction != SAME and more_is_better is not None:
        tone = "good" if (direction == UP) == more_is_better else "bad"
    arrow = {UP: "▲", DOWN: "▼"}.get(direction, "=")
    subject = f" {what}" if what else ""
    return Trend(direction, tone, f"{arrow} {now_text}{subject} vs {then_text} {since}")
