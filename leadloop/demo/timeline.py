"""A team's business time laid out as one line of seconds, for placing activities fast.

The seeder puts millions of calls and emails "two business days later, some
time during the day". Asking `lib.businesscal` for each would cost tens of
microseconds a call; instead each calendar day is measured once with it
(opening time, first open instant, close) and then business offsets map to
instants with a bisect and an addition. A day whose open time is one
contiguous interval (every demo team's) maps linearly, exactly; any other day
falls back to `businesscal` itself, so the axis never disagrees with it.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from leadloop.lib.businesscal import (
    Calendar,
    add_business_days,
    add_business_hours,
    business_time_between,
    next_open,
)


def epoch(dt: datetime) -> int:
    return int(dt.timestamp())


class BusinessAxis:
    """Business seconds of one calendar between two dates, as a cumulative line."""

    def __init__(self, cal: Calendar, first: date, last: date) -> None:
        self.cal = cal
        self.zone = ZoneInfo(cal.tz)
        self.first = first
        self.midnights: list[int] = []  # local midnight of each day, epoch seconds
        self.opens: list[int] = []  # first open instant of the day (midnight if closed)
        self.lengths: list[int] = []  # business seconds in the day
        self.linear: list[bool] = []  # one contiguous interval: offsets map linearly
        self.starts: list[int] = []  # cumulative business seconds before the day
        self.ends: list[int] = []  # cumulative business seconds at the day's close
        self.business_days: list[int] = []  # indexes of days with open time
        self.rank: list[int] = []  # business days strictly before each day
        total = 0
        day = first
        while day <= last + timedelta(days=1):
            self.midnights.append(epoch(datetime.combine(day, time(), self.zone)))
            day += timedelta(days=1)
        for i in range(len(self.midnights) - 1):
            m0, m1 = self.midnights[i], self.midnights[i + 1]
            start = datetime.fromtimestamp(m0, UTC)
            length = int(
                business_time_between(cal, start, datetime.fromtimestamp(m1, UTC)).total_seconds()
            )
            self.rank.append(len(self.business_days))
            opens, linear = m0, True
            if length:
                self.business_days.append(i)
                opens = epoch(next_open(cal, start))
                close = epoch(add_business_days(cal, start, 0))
                linear = close - opens == length and close <= m1
            self.opens.append(opens)
            self.lengths.append(length)
            self.linear.append(linear)
            self.starts.append(total)
            total += length
            self.ends.append(total)
        self.midnights.pop()
        self.horizon = self.midnights[-1] + 86_400

    def day_of(self, ts: int) -> int:
        """Index of the local day holding `ts` (clamped to the axis).

        Local midnights are 24 h apart but for DST days, so dividing by a day
        is off by at most one, which the neighbouring midnights settle.
        """
        midnights = self.midnights
        last = len(midnights) - 1
        i = min(max((ts - midnights[0]) // 86_400, 0), last)
        if i > 0 and midnights[i] > ts:
            return i - 1
        if i < last and midnights[i + 1] <= ts:
            return i + 1
        return i

    def offset(self, ts: int) -> int:
        """Business seconds from the axis start to `ts`; closed time adds nothing."""
        i = self.day_of(ts)
        if self.linear[i]:
            into = ts - self.opens[i]
            into = 0 if into < 0 else min(into, self.lengths[i])
        else:
            into = int(
                business_time_between(
                    self.cal,
                    datetime.fromtimestamp(self.midnights[i], UTC),
                    datetime.fromtimestamp(max(ts, self.midnights[i]), UTC),
                ).total_seconds()
            )
        return self.starts[i] + into

    def instant(self, offset: int) -> int:
        """The instant `offset` business seconds after the axis start.

        An offset at a day's close is that close (as in businesscal: a
        deadline ending at closing time is the close, not the next morning).
        """
        i = bisect_left(self.ends, offset)
        if i >= len(self.ends):
            return self.horizon + (offset - self.ends[-1])
        into = offset - self.starts[i]
        if self.linear[i]:
            return self.opens[i] + into
        return epoch(
            add_business_hours(
                self.cal, datetime.fromtimestamp(self.midnights[i], UTC), timedelta(seconds=into)
            )
        )

    def add(self, ts: int, seconds: float) -> int:
        """`ts` plus `seconds` of business time."""
        return self.instant(self.offset(ts) + int(seconds))

    def in_business_day(self, ts: int, days: int, fraction: float) -> int:
        """An instant `fraction` into the `days`-th business day after `ts`'s day (0: same day).

        Beyond the axis the result lies past its horizon, which the seeder
        reads as "not yet happened".
        """
        i = self.day_of(ts)
        # business_days[rank[i]] is day i itself, or the next business day if i is closed.
        n = self.rank[i] + days
        if days > 0 and not self.lengths[i]:
            n -= 1
        if n >= len(self.business_days):
            return self.horizon + 86_400 * (n - len(self.business_days) + 1)
        if n < 0:
            n = 0
        j = self.business_days[n]
        return self.instant(self.starts[j] + int(fraction * self.lengths[j]))

    def local_date(self, ts: int) -> date:
        return self.first + timedelta(days=self.day_of(ts))
