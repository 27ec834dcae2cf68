"""Business-time arithmetic on a team's calendar, for lead SLA due times.

SLAs such as "first contact within 12 business hours" or "concluded within
7 business days" only mean something on the team's own opening hours, public
holidays and closures. Getting this wrong is visible to customers (a lead that
arrives on Saturday 16:00 with a 4-hour SLA is due Monday 13:00, not Tuesday),
so the rules here are strict and deterministic:

* Every datetime in and out is timezone-aware; results are in the calendar's
  zone. Naive datetimes raise ``ValueError`` because guessing a zone silently
  shifts deadlines by hours.
* Opening hours are local wall-clock times per weekday. Each day is converted
  to real instants with ``zoneinfo``, so an interval on a DST-change day counts
  the real elapsed time (09:00-17:00 is 8 hours unless the jump is inside it).
  A wall time that does not exist (spring-forward gap) means the instant the
  clocks jump; an ambiguous wall time (fall-back fold) means its first
  occurrence.
* Internally everything is integer microseconds since the Unix epoch, so the
  arithmetic is exact: ``business_time_between(t, add_business_hours(t, h))``
  is exactly ``h`` and additions compose without rounding drift.

Compare and offset results in UTC: aware datetimes sharing a ``tzinfo`` compare
and add by wall time (ignoring ``fold``), and an inter-zone ``==`` is always
False for a time inside a DST fold (PEP 495).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

__all__ = [
    "Calendar",
    "CalendarError",
    "add_business_days",
    "add_business_hours",
    "business_time_between",
    "is_open",
    "next_open",
    "parse_weekly",
    "standard_calendar",
]

# A search for open time that crosses this many consecutive closed days gives
# up: a calendar like that is misconfigured, and looping forever is worse.
MAX_CLOSED_DAYS = 3660

_US = timedelta(microseconds=1)
_US_PER_HOUR = 3_600_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_NAIVE = datetime(1970, 1, 1)  # noqa: DTZ001 - UTC wall time, used for exact arithmetic
_ONE_DAY = timedelta(days=1)
_SPAN_CACHE_LIMIT = 8192

_LABELS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = {
    **{name: i for i, name in enumerate(_LABELS)},
    **{
        name: i
        for i, name in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
}
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")

Interval = tuple[time, time]
Span = tuple[int, int]  # [start, end) in microseconds since the epoch


class CalendarError(ValueError):
    """Invalid calendar configuration; ``field`` names the offending setting for forms/APIs."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

    def __repr__(self) -> str:
        return f"CalendarError({self.field!r}, {self.message!r})"

    def __reduce__(self) -> tuple[type[CalendarError], tuple[str, str]]:
        return (CalendarError, (self.field, self.message))


@lru_cache(maxsize=512)
def _holiday_dates(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """Public holidays of one year; cached process-wide since building them is slow-ish."""
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())


def _fmt(t: time) -> str:
    return t.isoformat(timespec="seconds" if t.second or t.microsecond else "minutes")


def _normalize_day(label: str, intervals: object) -> tuple[Interval, ...]:
    """Sort and check one day's intervals so the walking code can trust them."""
    if isinstance(intervals, str | bytes) or not isinstance(intervals, Sequence):
        raise CalendarError("weekly", f"{label}: expected a list of (start, end) intervals")
    pairs: list[Interval] = []
    for item in intervals:
        if isinstance(item, str | bytes) or not isinstance(item, Sequence) or len(item) != 2:
            raise CalendarError("weekly", f"{label}: each interval must be a (start, end) pair")
        start, end = item
        if not isinstance(start, time) or not isinstance(end, time):
            raise CalendarError("weekly", f"{label}: interval bounds must be datetime.time values")
        if start.tzinfo is not None or end.tzinfo is not None:
            raise CalendarError(
                "weekly", f"{label}: interval times are local wall times, not tz-aware"
            )
        if start >= end:
            raise CalendarError(
                "weekly", f"{label}: interval {_fmt(start)}-{_fmt(end)} must start before it ends"
            )
        pairs.append((start, end))
    pairs.sort()
    for (s1, e1), (s2, e2) in itertools.pairwise(pairs):
        if s2 < e1:
            raise CalendarError(
                "weekly",
                f"{label}: intervals {_fmt(s1)}-{_fmt(e1)} and {_fmt(s2)}-{_fmt(e2)} overlap",
            )
    return tuple(pairs)


@dataclass(frozen=True)
class Calendar:
    """A team's opening hours, holidays and closures; validated and immutable once built."""

    tz: str
    weekly: Mapping[int, Sequence[tuple[time, time]]]
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    closures: frozenset[date] = frozenset()
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _week: tuple[tuple[Interval, ...], ...] = field(init=False, repr=False, compare=False)
    _spans: dict[date, tuple[Span, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        try:
            zone = ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise CalendarError("tz", f"unknown time zone {self.tz!r}") from None
        set_(self, "_zone", zone)

        if not isinstance(self.weekly, Mapping):
            raise CalendarError(
                "weekly", "expected a mapping of weekday (0=Mon..6=Sun) to intervals"
            )
        week: list[tuple[Interval, ...]] = [() for _ in range(7)]
        for day, intervals in self.weekly.items():
            if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
                raise CalendarError("weekly", f"weekday must be 0 (Mon) .. 6 (Sun), got {day!r}")
            week[day] = _normalize_day(_LABELS[day], intervals)
        if not any(week):
            raise CalendarError("weekly", "the calendar has no opening hours at all")
        set_(self, "_week", tuple(week))
        # Store a read-only normalized copy so the frozen calendar cannot change under us.
        set_(self, "weekly", MappingProxyType({d: iv for d, iv in enumerate(week) if iv}))

        if self.holiday_country is not None:
            if self.holiday_country not in holidays.list_supported_countries():
                raise CalendarError(
                    "holiday_country", f"unknown holiday country {self.holiday_country!r}"
                )
            if self.holiday_subdivision is not None:
                known = holidays.country_holidays(self.holiday_country)
                names = set(known.subdivisions) | set(getattr(known, "subdivisions_aliases", {}))
                if self.holiday_subdivision not in names:
                    raise CalendarError(
                        "holiday_subdivision",
                        f"unknown subdivision {self.holiday_subdivision!r} "
                        f"of {self.holiday_country!r}",
                    )
        elif self.holiday_subdivision is not None:
            raise CalendarError(
                "holiday_subdivision", "a holiday subdivision needs a holiday country"
            )

        closures = frozenset(self.closures)
        for d in closures:
            if isinstance(d, datetime) or not isinstance(d, date):
                raise CalendarError("closures", f"closures must be dates, got {d!r}")
        set_(self, "closures", closures)
        set_(self, "_spans", {})

    def __hash__(self) -> int:
        return hash(
            (self.tz, self._week, self.holiday_country, self.holiday_subdivision, self.closures)
        )

    def __reduce__(self) -> tuple[type[Calendar], tuple[object, ...]]:
        """Pickle by constructor arguments (the read-only mapping itself is not picklable)."""
        weekly = {day: list(intervals) for day, intervals in self.weekly.items()}
        return (
            Calendar,
            (self.tz, weekly, self.holiday_country, self.holiday_subdivision, self.closures),
        )

    def is_business_day(self, day: date) -> bool:
        """Whether ``day`` has any opening time (weekday hours, not a holiday or closure)."""
        return bool(self._day_spans(day))

    def _is_closed(self, day: date) -> bool:
        if day in self.closures:
            return True
        if self.holiday_country is None:
            return False
        return day in _holiday_dates(self.holiday_country, self.holiday_subdivision, day.year)

    def _day_spans(self, day: date) -> tuple[Span, ...]:
        """Real-time opening spans of one local date, cached; empty for closed days."""
        cached = self._spans.get(day)
        if cached is not None:
            return cached
        intervals = self._week[day.weekday()]
        spans: list[Span] = []
        if intervals and not self._is_closed(day):
            for start, end in intervals:
                s = _wall_to_us(self._zone, datetime.combine(day, start))
                e = _wall_to_us(self._zone, datetime.combine(day, end))
                if e <= s:  # entirely inside a DST gap
                    continue
                if spans and s <= spans[-1][1]:  # touching (or clamped together): merge
                    spans[-1] = (spans[-1][0], max(e, spans[-1][1]))
                else:
                    spans.append((s, e))
        result = tuple(spans)
        if len(self._spans) >= _SPAN_CACHE_LIMIT:
            self._spans.clear()
        self._spans[day] = result
        return result


def _naive_to_us(naive_utc: datetime) -> int:
    return (naive_utc - _EPOCH_NAIVE) // _US


def _wall_to_us(zone: ZoneInfo, wall: datetime) -> int:
    """Instant of a local wall time: folds take the first occurrence, gaps the jump instant."""
    off0 = zone.utcoffset(wall)
    off1 = zone.utcoffset(wall.replace(fold=1))
    if off0 is None or off1 is None:  # pragma: no cover - ZoneInfo always has an offset
        raise ValueError(f"no UTC offset for {wall} in {zone}")
    u0 = _naive_to_us(wall - off0)
    if off0 == off1:
        return u0
    u1 = _naive_to_us(wall - off1)
    if u0 < u1:  # ambiguous (fold): first occurrence
        return u0
    # Nonexistent (gap): find the first instant whose wall time is past `wall`,
    # i.e. the moment the clocks jump. Keeps wall->instant monotonic.
    lo, hi = u1, u0  # wall(lo) < wall < wall(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _to_local(zone, mid).replace(tzinfo=None) > wall:
            hi = mid
        else:
            lo = mid
    return hi


def _to_local(zone: ZoneInfo, us: int) -> datetime:
    return (_EPOCH + timedelta(microseconds=us)).astimezone(zone)


def _aware_us(dt: datetime, name: str) -> int:
    """Exact microseconds since the epoch; refuses naive datetimes."""
    if not isinstance(dt, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {dt.isoformat()}")
    return (dt - _EPOCH) // _US


def _hours_to_us(hours: float | Decimal | timedelta) -> int:
    """Convert once to whole microseconds so later arithmetic is exact."""
    if isinstance(hours, timedelta):
        us = hours // _US
    elif isinstance(hours, bool):
        raise TypeError("hours must be a number or timedelta, not bool")
    elif isinstance(hours, int):
        us = hours * _US_PER_HOUR
    elif isinstance(hours, Decimal):
        if not hours.is_finite():
            raise ValueError(f"hours must be finite, got {hours}")
        us = int((hours * _US_PER_HOUR).to_integral_value(rounding=ROUND_HALF_EVEN))
    elif isinstance(hours, float):
        if not math.isfinite(hours):
            raise ValueError(f"hours must be finite, got {hours}")
        us = timedelta(hours=hours) // _US
    else:
        raise TypeError(f"hours must be a number or timedelta, got {type(hours).__name__}")
    if us < 0:
        raise ValueError("hours must not be negative")
    return us


def _open_spans(cal: Calendar, u: int) -> Iterator[Span]:
    """Yield the opening spans that end after ``u``, in order, clipped to start at ``u``.

    Starts a day early because a span can belong to the previous local date
    when a DST gap straddles midnight. Gives up after MAX_CLOSED_DAYS closed days.
    """
    day = _to_local(cal._zone, u).date() - _ONE_DAY
    idle = 0
    while True:
        found = False
        for s, e in cal._day_spans(day):
            if e > u:
                found = True
                yield (max(s, u), e)
        if found:
            idle = 0
        else:
            idle += 1
            if idle > MAX_CLOSED_DAYS:
                raise CalendarError(
                    "weekly", f"no opening time within {MAX_CLOSED_DAYS} days after {day}"
                )
        day += _ONE_DAY


def standard_calendar(
    tz: str = "Europe/Berlin",
    country: str | None = None,
    subdivision: str | None = None,
    start: time = time(9),
    end: time = time(17),
    closures: Iterable[date] = frozenset(),
) -> Calendar:
    """The common case: Monday to Friday, one interval a day."""
    return Calendar(
        tz=tz,
        weekly={day: [(start, end)] for day in range(5)},
        holiday_country=country,
        holiday_subdivision=subdivision,
        closures=frozenset(closures),
    )


def _parse_time(label: str, text: object) -> time:
    if not isinstance(text, str) or not (m := _TIME_RE.fullmatch(text.strip())):
        raise CalendarError("weekly", f"{label}: expected a time like '09:00', got {text!r}")
    hour, minute, second = int(m[1]), int(m[2]), int(m[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise CalendarError("weekly", f"{label}: {text!r} is not a valid time of day")
    return time(hour, minute, second)


def parse_weekly(spec: Mapping[str, Sequence[Sequence[str]]]) -> dict[int, list[tuple[time, time]]]:
    """Turn user/JSON input like ``{"mon": [["09:00", "17:00"]]}`` into ``Calendar.weekly``.

    Day keys are English names or three-letter abbreviations, case-insensitive.
    Errors are ``CalendarError("weekly", ...)`` so forms can show them on the field.
    """
    if not isinstance(spec, Mapping):
        raise CalendarError("weekly", "expected a mapping of day name to intervals")
    weekly: dict[int, list[tuple[time, time]]] = {}
    for key, intervals in spec.items():
        day = _DAY_NAMES.get(key.strip().lower()) if isinstance(key, str) else None
        if day is None:
            raise CalendarError("weekly", f"unknown day {key!r}; use mon, tue, ... sun")
        if day in weekly:
            raise CalendarError("weekly", f"{_LABELS[day]} is given more than once")
        label = _LABELS[day]
        if isinstance(intervals, str | bytes) or not isinstance(intervals, Sequence):
            raise CalendarError("weekly", f"{label}: expected a list of [start, end] pairs")
        pairs: list[tuple[time, time]] = []
        for item in intervals:
            if isinstance(item, str | bytes) or not isinstance(item, Sequence) or len(item) != 2:
                raise CalendarError("weekly", f"{label}: expected [start, end], got {item!r}")
            pairs.append((_parse_time(label, item[0]), _parse_time(label, item[1])))
        weekly[day] = list(_normalize_day(label, pairs))
    return weekly


def is_open(cal: Calendar, t: datetime) -> bool:
    """Whether the team is open at instant ``t`` (intervals are half-open: the end is closed)."""
    u = _aware_us(t, "t")
    day = _to_local(cal._zone, u).date()
    for d in (day - _ONE_DAY, day):
        for s, e in cal._day_spans(d):
            if s <= u < e:
                return True
    return False


def next_open(cal: Calendar, t: datetime) -> datetime:
    """``t`` if open, else the start of the next opening interval."""
    u = _aware_us(t, "t")
    s, _ = next(_open_spans(cal, u))
    return _to_local(cal._zone, s)


def add_business_hours(
    cal: Calendar, start: datetime, hours: float | Decimal | timedelta
) -> datetime:
    """Instant after ``hours`` of open time from ``start``.

    Zero hours gives ``next_open(start)``. A positive addition that ends exactly
    at an interval's end returns that end: the deadline is the close, not the
    next morning.
    """
    remaining = _hours_to_us(hours)
    u = _aware_us(start, "start")
    for s, e in _open_spans(cal, u):
        if remaining <= e - s:
            return _to_local(cal._zone, s + remaining)
        remaining -= e - s
    raise AssertionError("unreachable")  # pragma: no cover - _open_spans never ends


def add_business_days(cal: Calendar, start: datetime, days: int) -> datetime:
    """Close of the ``days``-th business day after ``start``'s local day.

    The start day never counts, whatever the time. ``days=0`` means the close of
    the current business day if still before it, else the close of the next one.
    """
    if isinstance(days, bool) or not isinstance(days, int):
        raise TypeError("days must be an int")
    if days < 0:
        raise ValueError("days must not be negative")
    u = _aware_us(start, "start")
    day = _to_local(cal._zone, u).date()
    if days == 0:
        spans = cal._day_spans(day)
        if spans and u < spans[-1][1]:
            return _to_local(cal._zone, spans[-1][1])
        days = 1
    idle = 0
    while True:
        day += _ONE_DAY
        spans = cal._day_spans(day)
        if spans:
            idle = 0
            days -= 1
            if days == 0:
                return _to_local(cal._zone, spans[-1][1])
        else:
            idle += 1
            if idle > MAX_CLOSED_DAYS:
                raise CalendarError(
                    "weekly", f"no business day within {MAX_CLOSED_DAYS} days after {day}"
                )


def business_time_between(cal: Calendar, a: datetime, b: datetime) -> timedelta:
    """Open time in ``[a, b)``; negative if ``b < a`` (e.g. how late a lead was handled)."""
    ua = _aware_us(a, "a")
    ub = _aware_us(b, "b")
    if ub < ua:
        return -business_time_between(cal, b, a)
    total = 0
    day = _to_local(cal._zone, ua).date() - _ONE_DAY
    last = _to_local(cal._zone, ub).date()
    while day <= last:
        for s, e in cal._day_spans(day):
            overlap = min(e, ub) - max(s, ua)
            if overlap > 0:
                total += overlap
        day += _ONE_DAY
    return timedelta(microseconds=total)
