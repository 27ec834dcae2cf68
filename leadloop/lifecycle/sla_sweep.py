"""The SLA sweep: breach what is past due, warn what is at risk, escalate breaches.

It follows the healthchecks sweeper: due clocks are found through partial
indexes on running clocks, claimed with a conditional UPDATE ... RETURNING
(`result = ''` re-checked on the row, so a clock is claimed once however
many sweeps run), and only the claimed rows get their events (one
INSERT ... SELECT, one row per clock) and notifications (a handful of rows,
one per person) in the same transaction. On PostgreSQL a batch is one
statement (pick, claim, events and whom to tell, as CTEs); two workers
sweeping at once take disjoint rows (FOR UPDATE SKIP LOCKED). On SQLite the
IMMEDIATE transaction serializes them. Every batch is one transaction, so a
sweep that dies halfway leaves whole batches done and the rest still due for
the next run.

Raw SQL on purpose: the ORM has no UPDATE ... RETURNING or INSERT ... SELECT,
and building tens of thousands of model instances per minute is what made a
Python sweep slow; no clock row comes back to Python now, only a few grouped
rows per batch. `leadloop bench` times it against a raw UPDATE: at 1,000,000
open leads with 10,000 due, 1.15x it (409 ms against 354 ms, median of 5
alternating rounds on the shared 2-core machine), where reading every claimed
row back, looking each up again by id and walking the warning index's
past-due entries had made it 1.9x (678 ms).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction

from leadloop.accounts.models import Team, User
from leadloop.leads.choices import EventKind
from leadloop.leads.models import Lead, LeadEvent
from leadloop.lib.times import utc
from leadloop.lifecycle import webhooks
from leadloop.notifications.choices import NotificationKind
from leadloop.notifications.models import Notification
from leadloop.notifications.services import Note, write
from leadloop.sla.choices import SALES_KINDS, ClockKind, ClockResult
from leadloop.sla.models import SlaClock

log = logging.getLogger("leadloop.sla")

BATCH_SIZE = 5000


@dataclass
class SweepResult:
    breached: int = 0
    escalated: int = 0
    warned: int = 0
    notifications: int = 0
    batches: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _tables() -> dict[str, str]:
    return {
        "clock": SlaClock._meta.db_table,
        "event": LeadEvent._meta.db_table,
        "lead": Lead._meta.db_table,
        "note": Notification._meta.db_table,
        "team": Team._meta.db_table,
        "user": User._meta.db_table,
    }


class _Sql:
    """The few spots where PostgreSQL and SQLite spell things differently."""

    def __init__(self) -> None:
        self.pg = connection.vendor == "postgresql"
        self.lock = "FOR UPDATE SKIP LOCKED" if self.pg else ""
        self.json_object = "jsonb_build_object" if self.pg else "json_object"
        self.t = _tables()

    def at(self, moment: datetime) -> Any:
        """A time as this database stores it (naive UTC text on SQLite), for raw SQL."""
        return connection.ops.adapt_datetimefield_value(moment)

    def stored(self, value: Any) -> Any:
        """A time read back by raw SQL, as a parameter again: SQLite may hand back its
        own text (kept as is) or a naive or aware datetime (written as the ORM would)."""
        return self.at(_stored_utc(value)) if isinstance(value, datetime) else value


@dataclass(frozen=True)
class _Group:
    """Whom one batch tells what: a recipient, the team (for a manager) and how many
    clocks, with the one clock and lead when there is one."""

    user_id: int
    team_id: int | None
    count: int
    clock_id: int
    lead_id: int
    kind: str


@dataclass
class _Batch:
    """What one batch claimed, told as a handful of rows however many clocks it took."""

    claimed: int = 0
    escalated: int = 0
    owners: list[_Group] = field(default_factory=list)
    managers: list[_Group] = field(default_factory=list)
    producers: list[_Group] = field(default_factory=list)
    after: tuple[Any, ...] | None = None


# The claimed clocks' columns, over the clock row `c` (the UPDATE's RETURNING on
# PostgreSQL, the clock table on SQLite); `manager` is whom a breach went to.
_CLAIMED = (
    "c.id, c.lead_id, c.user_id, c.team_id, c.kind, c.due_at, c.warn_at, "
    "CASE WHEN c.escalated_at IS NOT NULL THEN "
    "(SELECT tm.manager_id FROM {team} tm WHERE tm.id = c.team_id) END AS manager"
)
_CLAIMED_NAMES = "id, lead_id, user_id, team_id, kind, due_at, warn_at, manager"


def _claim_sql(sql: _Sql, *, warn: bool, after: bool) -> tuple[str, str]:
    """The pick (a CTE of locked due clocks in index order) and the claiming UPDATE.

    The breach marks the escalation in the same UPDATE where the team has a
    manager: each rewrite of a clock row costs a write to every index. The
    UPDATE re-checks the condition on the row, so a clock is claimed once
    however many sweeps run.
    """
    t = sql.t
    # PostgreSQL updates the locked rows by their place in the table (ctid): looking each
    # one up again by id was a primary-key probe per clock (EXPLAIN ANALYZE at 1,000,000
    # open leads: 160-225 ms of a 630-770 ms batch of 5,000). A locked row cannot move.
    pick_column = "ctid AS tid" if sql.pg else "id"
    member = (
        "c.ctid = ANY(ARRAY(SELECT tid FROM picked))"
        if sql.pg
        else ("c.id IN (SELECT id FROM picked)")
    )
    if warn:
        # Ordered as the index (warn_at, due_at, id): the clocks already past due fail
        # `due_at > now` inside the index, without a visit to their rows (10,000 such
        # visits, mostly read from disk, were 170-205 ms of a sweep at 1,000,000 leads).
        start = "AND (warn_at, due_at, id) > (%(k1)s, %(k2)s, %(id)s) " if after else ""
        pick = (
            f"SELECT {pick_column} FROM {t['clock']} WHERE result = '' AND warned_at IS NULL "
            f"AND warn_at <= %(now)s AND due_at > %(now)s {start}"
            f"ORDER BY warn_at, due_at, id LIMIT %(limit)s {sql.lock}"
        )
        update = (
            f"UPDATE {t['clock']} AS c SET warned_at = %(now)s "
            f"WHERE {member} AND c.result = '' AND c.warned_at IS NULL"
        )
    else:
        start = "AND (due_at, id) > (%(k1)s, %(id)s) " if after else ""
        pick = (
            f"SELECT {pick_column} FROM {t['clock']} WHERE result = '' AND due_at <= %(now)s "
            f"{start}ORDER BY due_at, id LIMIT %(limit)s {sql.lock}"
        )
        update = (
            f"UPDATE {t['clock']} AS c SET result = '{ClockResult.BREACHED.value}', "
            "breached_at = %(now)s, escalated_at = CASE WHEN EXISTS (SELECT 1 FROM "
            f"{t['team']} tm WHERE tm.id = c.team_id AND tm.manager_id IS NOT NULL) "
            f"THEN %(now)s END WHERE {member} AND c.result = ''"
        )
    return pick, update


def _events_sql(sql: _Sql) -> str:
    """One event per claimed clock, in clock order; a breach that was escalated names
    the manager it went to (`to`), so the lead's history says both in one line and
    the sweep writes one row per breach, not two."""
    obj = sql.json_object
    return (
        f"INSERT INTO {sql.t['event']} (lead_id, kind, action, at, actor_id, from_stage, "
        "to_stage, reason_code_id, data) "
        "SELECT lead_id, %(kind)s, '', %(now)s, NULL, '', '', NULL, CASE WHEN manager IS NULL "
        f"THEN {obj}('clock', kind, 'clock_id', id) "
        f"ELSE {obj}('clock', kind, 'clock_id', id, 'to', manager) END "
        "FROM claimed ORDER BY id"
    )


def _told_sql(sql: _Sql, *, warn: bool) -> str:
    """Whom the batch tells, grouped in SQL (a few rows, not one per clock), and where
    the next batch starts: rows (what, user, team, count, clock, lead, kind, k1, k2).

    A manager whose team misses 300 first contacts in a minute wants one
    message saying so, not 300; the events on each lead still record every
    breach. Only a sales clock's breach tells the lead's producer, so only a
    sales clock reads its lead.
    """
    big = "bigint" if sql.pg else "integer"
    when = "timestamp with time zone" if sql.pg else "text"
    none = f"CAST(NULL AS {big})"
    text = "CAST(NULL AS text)" if sql.pg else "NULL"
    order = "warn_at DESC, due_at DESC, id DESC" if warn else "due_at DESC, id DESC"
    k1 = "warn_at" if warn else "due_at"
    rows = [
        # First: its columns fix the UNION's types.
        f"SELECT * FROM (SELECT 'last' AS what, {none} AS user_id, {none} AS team_id, "
        f"CAST(0 AS {big}) AS n, id, lead_id, {text} AS kind, "
        f"CAST({k1} AS {when}) AS k1, CAST(due_at AS {when}) AS k2 "
        f"FROM claimed ORDER BY {order} LIMIT 1) AS last",
        f"SELECT 'count', {none}, count(manager), count(*), {none}, {none}, {text}, NULL, NULL "
        "FROM claimed",
        f"SELECT 'owner', user_id, {none}, count(*), min(id), min(lead_id), {text}, NULL, NULL "
        "FROM claimed WHERE user_id IS NOT NULL GROUP BY user_id",
    ]
    if not warn:
        sales = ", ".join(f"'{k.value}'" for k in sorted(SALES_KINDS))
        rows += [
            f"SELECT 'manager', manager, team_id, count(*), min(id), min(lead_id), {text}, "
            "NULL, NULL FROM claimed WHERE manager IS NOT NULL "
            "AND (user_id IS NULL OR manager <> user_id) GROUP BY manager, team_id",
            "SELECT 'producer', l.handed_off_by_id, NULL, 1, c.id, c.lead_id, c.kind, NULL, NULL "
            f"FROM claimed c JOIN {sql.t['lead']} l ON l.id = c.lead_id "
            f"WHERE c.kind IN ({sales}) AND l.handed_off_by_id IS NOT NULL "
            "AND (c.user_id IS NULL OR l.handed_off_by_id <> c.user_id)",
        ]
    return " UNION ALL ".join(rows)


def _claim(
    sql: _Sql,
    *,
    now: datetime,
    limit: int,
    warn: bool,
    after: tuple[Any, ...] | None = None,
) -> _Batch:
    """Mark up to `limit` due clocks breached (or at risk) and write their events; whom
    to tell, and where in the index the next batch starts.

    On PostgreSQL this is one statement: the pick, the UPDATE ... RETURNING,
    the events' INSERT ... SELECT from what it returned, and the grouped
    rows, all CTEs, so no clock row comes back to Python. SQLite has no
    writing CTEs: its UPDATE returns the claimed ids and the same INSERT and
    grouping read those clocks (a local read there, no round trip).

    Each batch starts after the last clock the previous one took: the index
    still holds the entries of the clocks just claimed (until vacuum), and
    walking them again cost each batch the heap visits of all the earlier
    ones (160 ms for the empty last batch after 10,000 breaches, at
    1,000,000 open leads). A clock skipped there because another sweep held
    it is that sweep's; one that falls due with an earlier time meanwhile is
    the next tick's.
    """
    pick, update = _claim_sql(sql, warn=warn, after=after is not None)
    kind = EventKind.SLA_AT_RISK if warn else EventKind.SLA_BREACHED
    params: dict[str, Any] = {"now": sql.at(now), "limit": limit, "kind": kind.value}
    if after is not None:
        params.update(k1=after[0], id=after[-1])
        if warn:
            params["k2"] = after[1]
    claimed = _CLAIMED.format(team=sql.t["team"])
    told = _told_sql(sql, warn=warn)
    with connection.cursor() as cur:
        if sql.pg:
            cur.execute(
                f"WITH picked AS MATERIALIZED ({pick}), "
                f"claimed AS ({update} RETURNING {claimed}), "
                f"written AS ({_events_sql(sql)}) {told}",
                params,
            )
        else:
            cur.execute(f"WITH picked AS ({pick}) {update} RETURNING id", params)
            params["ids"] = json.dumps([r[0] for r in cur.fetchall()])
            rows = (
                f"claimed({_CLAIMED_NAMES}) AS (SELECT {claimed} FROM {sql.t['clock']} c "
                "WHERE c.id IN (SELECT value FROM json_each(%(ids)s)))"
            )
            cur.execute(f"WITH {rows} {_events_sql(sql)}", params)
            cur.execute(f"WITH {rows} {told}", params)
        found = cur.fetchall()
    batch = _Batch(after=after)
    for what, user_id, team_id, n, clock_id, lead_id, clock_kind, k1, k2 in found:
        if what == "last":
            position = (
                (sql.stored(k1), sql.stored(k2), clock_id)
                if warn
                else (
                    sql.stored(k1),
                    clock_id,
                )
            )
            batch.after = position
        elif what == "count":
            batch.claimed, batch.escalated = n, team_id
        else:
            group = _Group(user_id, team_id, n, clock_id, lead_id, clock_kind or "")
            {"owner": batch.owners, "manager": batch.managers, "producer": batch.producers}[
                what
            ].append(group)
    if batch.claimed:
        _queue_webhooks(sql, kind, now)
    return batch


def _stored_utc(moment: datetime) -> datetime:
    """A time read back by raw SQL, as UTC: SQLite stores naive UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _queue_webhooks(sql: _Sql, kind: str, now: datetime) -> None:
    """The webhook messages for the events just written, in SQL too: the sweep's events
    of this kind at this moment (the outbox takes each event once, so a second
    batch or sweep at the same moment adds no message twice)."""
    webhooks.queue_sql(
        kind=kind,
        events_where="e.kind = %s AND e.action = '' AND e.at = %s",
        params=[kind, sql.at(now)],
        now=now,
    )


def _notifications(kind: str, groups: list[_Group], now: datetime) -> list[Notification]:
    """One notification per recipient (and team, for a manager) and batch: about the
    lead when there is one clock, a count when there are several."""
    notes = []
    for g in sorted(groups, key=lambda g: (g.user_id, g.team_id or 0)):
        one = g.count == 1
        data: dict[str, Any] = {"count": g.count}
        if g.team_id is not None:
            data["team"] = g.team_id
        notes.append(
            Note(
                g.user_id,
                kind,
                data,
                lead_id=g.lead_id if one else None,
                clock_id=g.clock_id if one else None,
            )
        )
    return write(notes, now=now)


def _producers(groups: list[_Group], now: datetime) -> list[Notification]:
    """Seed 000: a sales SLA missed on a lead an inside rep produced is news for her."""
    notes = [
        Note(
            g.user_id,
            NotificationKind.LEAD_EVENT,
            {
                "summary": f"sales missed the {ClockKind(g.kind).label.lower()} SLA",
                "actor": "leadloop",
            },
            lead_id=g.lead_id,
            clock_id=g.clock_id,
        )
        for g in sorted(groups, key=lambda g: g.clock_id)
    ]
    return write(notes, now=now)


def _record(batch: _Batch, now: datetime, *, warn: bool) -> int:
    """The notifications of the clocks one batch won; how many."""
    if warn:
        return len(_notifications(NotificationKind.SLA_AT_RISK, batch.owners, now))
    told = _notifications(NotificationKind.SLA_BREACHED, batch.owners, now)
    told += _notifications(NotificationKind.ESCALATION, batch.managers, now)
    told += _producers(batch.producers, now)
    return len(told)


def sla_sweep(*, now: datetime, batch_size: int = BATCH_SIZE) -> SweepResult:
    """Breach, escalate and warn everything due at `now`; safe to run twice or in parallel."""
    # UTC, in the database's own form: on SQLite the comparison is between texts, and
    # a `now` with an offset would breach clocks hours early or late.
    now = utc(now, "now")
    sql = _Sql()
    result = SweepResult()
    for warn in (False, True):
        after: tuple[Any, ...] | None = None
        while True:
            with transaction.atomic():
                batch = _claim(sql, now=now, limit=batch_size, warn=warn, after=after)
                after = batch.after
                if batch.claimed:
                    result.batches += 1
                    if warn:
                        result.warned += batch.claimed
                    else:
                        result.breached += batch.claimed
                        result.escalated += batch.escalated
                    result.notifications += _record(batch, now, warn=warn)
            if batch.claimed < batch_size:
                break
    if result.breached or result.warned:
        log.info("sla sweep", extra={"now": now.isoformat(), **result.as_dict()})
    return result
