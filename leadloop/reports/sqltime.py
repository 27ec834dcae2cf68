"""Business time and medians inside the database, for "median business hours" over many rows.

Business time depends on each team's calendar (hours, zone, holidays), which
SQL does not know. Instead of computing it per row in Python, the report
sends the calendar to the database as a small *axis*: per team and UTC day,
the business seconds before that day and the day's opening spans (epoch
seconds, clipped to the UTC day). The business time at an instant t is then

    cum(day(t)) + sum_i clamp(t - s_i, 0, e_i - s_i)

and a duration is cum(t1) - cum(t0), exact to the second and equal to
`lib.businesscal.business_time_between`. UTC days need no time-zone
arithmetic in SQL.

Each instant meets its (team, day) row by an equality join, hashed: a few
thousand axis rows, whatever the number of leads. PostgreSQL receives the
axis as arrays (unnested in the query), SQLite as a keyed temporary table. The median
is PostgreSQL's `percentile_cont`, and on SQLite the middle rows found by
window functions; both exact and set-based, nothing computed per row in
Python.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet

from leadloop.accounts.calendars import team_calendar
from leadloop.accounts.models import Team
from leadloop.lib.businesscal import CalendarError

DAY = 86_400
# The key of the all-groups row when `rollup` is asked for.
ALL = "__all__"


@dataclass(frozen=True)
class Axis:
    """Per (team, UTC day): cumulative business seconds before the day and its spans."""

    first_day: int  # epoch day of the first row of every team
    days: int
    team_ids: list[int]
    cum: list[list[int]]  # [team][day]
    spans: list[list[list[tuple[int, int]]]]  # [team][day] -> spans
    width: int  # spans per day, at most (shorter days are padded with empty spans)


def _epoch_day(day: date) -> int:
    return int(datetime.combine(day, time(), UTC).timestamp()) // DAY


def team_spans(team: Team, first: date, last: date) -> list[tuple[int, int]]:
    """The team's opening spans (epoch seconds) on the local days first - 1 .. last + 1.

    Reads the calendar's own per-day spans (`Calendar._day_spans`), which is
    what every businesscal function walks, so the axis cannot drift from it.
    """
    cal = team_calendar(team)
    spans: list[tuple[int, int]] = []
    day = first - timedelta(days=1)
    while day <= last + timedelta(days=1):
        for s, e in cal._day_spans(day):
            spans.append((s // 1_000_000, e // 1_000_000))
        day += timedelta(days=1)
    spans.sort()
    return spans


def build_axis(teams: Sequence[Team], first: date, last: date) -> Axis:
    """The axis of `teams` over the UTC days first .. last."""
    k0, k1 = _epoch_day(first), _epoch_day(last)
    days = k1 - k0 + 1
    team_ids: list[int] = []
    cums: list[list[int]] = []
    all_spans: list[list[list[tuple[int, int]]]] = []
    width = 1
    for team in teams:
        try:
            spans = team_spans(team, first, last)
        except CalendarError:
            continue
        by_day: list[list[tuple[int, int]]] = [[] for _ in range(days)]
        before = 0  # business seconds of spans before day k0
        for s, e in spans:
            k = s // DAY
            while s < e:
                end = min(e, (k + 1) * DAY)
                if k < k0:
                    before += end - s
                elif k <= k1:
                    by_day[k - k0].append((s, end))
                s, k = end, k + 1
        cum, running = [], before
        for day_spans in by_day:
            cum.append(running)
            running += sum(e - s for s, e in day_spans)
            width = max(width, len(day_spans))
        team_ids.append(team.pk)
        cums.append(cum)
        all_spans.append(by_day)
    return Axis(k0, days, team_ids, cums, all_spans, width)


def _padded(axis: Axis, team: int, day: int) -> list[tuple[int, int]]:
    spans = axis.spans[team][day]
    return spans + [(0, 0)] * (axis.width - len(spans))


class Sql:
    """The spellings that differ between PostgreSQL and SQLite."""

    def __init__(self) -> None:
        self.pg = connection.vendor == "postgresql"

    def epoch(self, column: str) -> str:
        if self.pg:
            return f"EXTRACT(EPOCH FROM {column})::float8"
        # Django stores SQLite datetimes as UTC text; julianday keeps the fraction
        # but only to ~50 microseconds, so round to the millisecond.
        return f"ROUND((julianday({column}) - 2440587.5) * 86400.0, 3)"

    def day(self, seconds: str) -> str:
        if self.pg:
            return f"CAST(FLOOR({seconds} / {DAY}) AS INTEGER)"
        return f"CAST({seconds} / {DAY} AS INTEGER)"

    def clamp(self, value: str, low: str, high: str) -> str:
        least, greatest = ("LEAST", "GREATEST") if self.pg else ("MIN", "MAX")
        return f"{least}({greatest}({value}, {low}), {high})"


# ---------------------------------------------------------------- PostgreSQL: arrays


def _pg_columns(axis: Axis) -> list[list[int]]:
    """The axis as parallel arrays: key (team index * days + day), cum, s1, e1, s2, e2, ..."""
    keys: list[int] = []
    cums: list[int] = []
    bounds: list[list[int]] = [[] for _ in range(2 * axis.width)]
    for t in range(len(axis.team_ids)):
        for d in range(axis.days):
            keys.append(t * axis.days + d)
            cums.append(axis.cum[t][d])
            for j, (s, e) in enumerate(_padded(axis, t, d)):
                bounds[2 * j].append(s)
                bounds[2 * j + 1].append(e)
    return [keys or [-1], cums or [0], *[b or [0] for b in bounds]]


def _pg_statement(
    axis: Axis, inner: str, groups: Sequence[str], instants: Sequence[str]
) -> tuple[str, list[Any]]:
    """CTEs ending in `bt(groups..., b0, b1, ...)`: business seconds at each instant.

    The axis arrives as arrays, unnested into a few thousand rows and hash
    joined once per instant on (team, UTC day); the join hands each row its
    day's numbers as plain columns, so nothing is looked up twice, and the
    scan below stays parallel.
    """
    width, n = axis.width, len(instants)
    teams = " ".join(f"WHEN {tid} THEN {i}" for i, tid in enumerate(axis.team_ids))
    team_index = f"CASE src.team_id {teams} END" if teams else "NULL::int"
    g_src = ", ".join(f"src.{name} AS {name}" for name in groups)
    g_ep = ", ".join(f"ep.{name} AS {name}" for name in groups)
    epochs = ", ".join(f"date_part('epoch', src.{name}) AS x{i}" for i, name in enumerate(instants))
    names = ["k", "cum", *[f"{c}{j}" for j in range(1, width + 1) for c in ("s", "e")]]
    casts = ["int", "bigint", *["bigint"] * (2 * width)]
    unnest = ", ".join(f"%s::{c}[]" for c in casts)
    table = f"(SELECT * FROM unnest({unnest}) AS u({', '.join(names)}))"  # noqa: S608
    joins = " ".join(
        f"LEFT JOIN {table} a{i} ON a{i}.k = ep.ti * {axis.days} "
        f"+ CAST(FLOOR(ep.x{i} / {DAY}) AS INTEGER) - {axis.first_day}"
        for i in range(n)
    )

    def offset(i: int) -> str:
        terms = [f"a{i}.cum"]
        for j in range(1, width + 1):
            s, e = f"a{i}.s{j}", f"a{i}.e{j}"
            terms.append(f"LEAST(GREATEST(ep.x{i} - {s}, 0), {e} - {s})")
        return " + ".join(terms) + f" AS b{i}"

    statement = f"""
        WITH src AS ({inner}),
        ep AS (SELECT {g_src}, {team_index} AS ti, {epochs} FROM src),
        bt AS (SELECT {g_ep}, {", ".join(offset(i) for i in range(n))} FROM ep {joins})
    """  # noqa: S608 - identifiers are ours, values are parameters
    columns = _pg_columns(axis)
    params: list[Any] = []
    # Each join gets its own copy of the arrays: a CTE shared by the joins
    # would be materialized, and that keeps the plan serial.
    for _ in range(n):
        params.extend(columns)
    return statement, params


# ---------------------------------------------------------------- SQLite: a temporary table

SQLITE_AXIS = "report_axis"
SQLITE_DURATIONS = "report_durations"


def _axis_columns(axis: Axis) -> list[str]:
    names = ["team_id", "day", "cum"]
    for i in range(1, axis.width + 1):
        names += [f"s{i}", f"e{i}"]
    return names


def _axis_rows(axis: Axis) -> list[tuple[int, ...]]:
    rows = []
    for t, team_id in enumerate(axis.team_ids):
        for d in range(axis.days):
            cells = [team_id, axis.first_day + d, axis.cum[t][d]]
            cells += [x for span in _padded(axis, t, d) for x in span]
            rows.append(tuple(int(c) for c in cells))
    return rows


def _sqlite_axis_table(cursor: Any, axis: Axis) -> None:
    """The axis as a temporary table keyed by (team, day).

    A VALUES common table expression has no index, so SQLite scanned all of it
    for every row it joined (seconds for a few thousand leads); a keyed
    temporary table makes each join a lookup. It lives in this connection only.
    """
    names = _axis_columns(axis)
    cursor.execute(f"DROP TABLE IF EXISTS temp.{SQLITE_AXIS}")
    cursor.execute(
        f"CREATE TEMP TABLE {SQLITE_AXIS} ({', '.join(f'{n} INTEGER NOT NULL' for n in names)}, "
        "PRIMARY KEY (team_id, day)) WITHOUT ROWID"
    )
    marks = ", ".join(["%s"] * len(names))
    cursor.executemany(
        f"INSERT INTO {SQLITE_AXIS} VALUES ({marks})",  # noqa: S608 - our names, int values
        _axis_rows(axis),
    )


def _values_offset(sql: Sql, alias: str, seconds: str, width: int) -> str:
    terms = [f"{alias}.cum"]
    for i in range(1, width + 1):
        s, e = f"{alias}.s{i}", f"{alias}.e{i}"
        terms.append(sql.clamp(f"{seconds} - {s}", "0", f"{e} - {s}"))
    return " + ".join(terms)


@contextmanager
def _hash_joins(cursor: Any, pg: bool) -> Iterator[None]:
    """No merge joins for this statement: the axis is joined by hashing.

    PostgreSQL cannot know the axis key is unique, so it expects each join
    to multiply the rows and prefers merge joins over sorted millions; a hash
    on the few thousand axis rows is what the join really needs.
    """
    if not pg:
        yield
        return
    with transaction.atomic():
        cursor.execute("SELECT current_setting('enable_mergejoin')")
        (before,) = cursor.fetchone()
        cursor.execute("SELECT set_config('enable_mergejoin', 'off', true)")
        try:
            yield
        finally:
            cursor.execute("SELECT set_config('enable_mergejoin', %s, true)", [before])


@dataclass(frozen=True)
class Median:
    seconds: float
    count: int

    @property
    def hours(self) -> float:
        return self.seconds / 3600


def business_medians(
    rows: QuerySet[Any],
    *,
    groups: Sequence[str],
    teams: Sequence[Team],
    first: date,
    last: date,
    pairs: Sequence[tuple[str, str]] = (("t0", "t1"),),
    rollup: bool = False,
) -> dict[tuple[Any, ...], Median]:
    """Median business time per group and pair of instants over `rows` (a values() queryset).

    `rows` must select the columns named in `groups`, `team_id` (whose
    calendar counts) and the instants named in `pairs`. A row counts for a
    pair when both its instants are set and fall on the UTC days first ..
    last. Keys are the group values, then the pair's index when there are
    several pairs; with `rollup`, the groups' values are ALL in the key of
    the median over every row.
    """
    sql = Sql()
    axis = build_axis(teams, first, last)
    inner, inner_params = rows.order_by().query.sql_with_params()
    instants = list(dict.fromkeys(name for pair in pairs for name in pair))
    slot = {name: i for i, name in enumerate(instants)}
    g_src = ", ".join(f"src.{name} AS {name}" for name in groups)
    if sql.pg:
        statement, axis_params = _pg_statement(axis, inner, groups, instants)
        # The inner query's parameters come first in the text (src), the axis's after.
        params = [*inner_params, *axis_params]
    else:
        epochs = ", ".join(f"{sql.epoch(f'src.{n}')} AS x{slot[n]}" for n in instants)
        g_ep = ", ".join(f"ep.{name} AS {name}" for name in groups)
        offsets = ", ".join(
            f"({_values_offset(sql, f'a{i}', f'ep.x{i}', axis.width)}) AS b{i}"
            for i in range(len(instants))
        )
        joins = " ".join(
            f"LEFT JOIN {SQLITE_AXIS} a{i} ON a{i}.team_id = ep.team_id "
            f"AND a{i}.day = {sql.day(f'ep.x{i}')}"
            for i in range(len(instants))
        )
        statement = f"""
            WITH src AS ({inner}),
            ep AS (SELECT {g_src}, src.team_id AS team_id, {epochs} FROM src),
            bt AS (SELECT {g_ep}, {offsets} FROM ep {joins})
        """  # noqa: S608 - identifiers are ours, values are ints we built or parameters
        params = list(inner_params)
    g_bt = ", ".join(f"bt.{name} AS {name}" for name in groups)
    diffs = ", ".join(f"bt.b{slot[b]} - bt.b{slot[a]} AS d{i}" for i, (a, b) in enumerate(pairs))
    statement += f", dur AS (SELECT {g_bt}, {diffs} FROM bt) "  # noqa: S608
    part = ", ".join(groups)
    rows_out: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor, _hash_joins(cursor, sql.pg):
        if not sql.pg:
            _sqlite_axis_table(cursor, axis)
        if sql.pg:
            medians = ", ".join(
                f"percentile_cont(0.5) WITHIN GROUP (ORDER BY d{i}), COUNT(d{i})"
                for i in range(len(pairs))
            )
            flags = ", ".join(f"GROUPING({g})" for g in groups)
            grouping = f"GROUPING SETS (({part}), ())" if rollup else part
            cursor.execute(
                f"{statement} SELECT {part}, {flags}, {medians} FROM dur GROUP BY {grouping}",  # noqa: S608
                params,
            )
            for row in cursor.fetchall():
                n = len(groups)
                key = tuple(ALL for _ in groups) if any(row[n : 2 * n]) else tuple(row[:n])
                for i in range(len(pairs)):
                    value, count = row[2 * n + 2 * i], row[2 * n + 2 * i + 1]
                    if count:
                        rows_out.append((key, i, float(value), int(count)))
        else:
            # SQLite has no percentile: one window query per pair and level. The
            # durations are computed once into a temporary table for all of them;
            # as a CTE SQLite would rebuild them (the whole cohort) for each.
            table = f"temp.{SQLITE_DURATIONS}"
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            create = f"CREATE TEMP TABLE {SQLITE_DURATIONS} AS {statement} SELECT * FROM dur"  # noqa: S608
            cursor.execute(create, params)
            try:
                levels = [groups, []] if rollup else [groups]
                for level in levels:
                    by = ", ".join(level) or "NULL"
                    select = ", ".join(level)
                    for i in range(len(pairs)):
                        cursor.execute(
                            f"""SELECT {select + ", " if select else ""}AVG(d), MAX(n) FROM (
                                SELECT {select + ", " if select else ""}d{i} AS d,
                                       ROW_NUMBER() OVER (PARTITION BY {by} ORDER BY d{i}) AS rn,
                                       COUNT(*) OVER (PARTITION BY {by}) AS n
                                FROM {table} WHERE d{i} IS NOT NULL
                            ) AS ranked
                            WHERE rn IN ((n + 1) / 2, (n + 2) / 2)
                            GROUP BY {by}"""  # noqa: S608
                        )
                        for row in cursor.fetchall():
                            key = tuple(row[: len(level)]) if level else tuple(ALL for _ in groups)
                            rows_out.append((key, i, float(row[-2]), int(row[-1])))
            finally:
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
    single = len(pairs) == 1
    return {
        (key if single else (*key, i)): Median(value, count) for key, i, value, count in rows_out
    }
