"""The SLA sweep: breach what is past due, warn what is at risk, escalate breaches.

It follows the healthchecks sweeper: due clocks are found through partial
indexes on running clocks, claimed with a conditional UPDATE ... RETURNING
(`result = ''` re-checked on the row, so a clock is claimed once however
many sweeps run), and only the claimed rows get their events (one
INSERT ... SELECT, one row per clock) and notifications (a handful of rows,
one per person) in the same transaction. On
PostgreSQL two workers sweeping at once take disjoint rows (FOR UPDATE SKIP
LOCKED); on SQLite the IMMEDIATE transaction serializes them. Every batch is
one transaction, so a sweep that dies halfway leaves whole batches done and
the rest still due for the next run.

Raw SQL on purpose: the ORM has no UPDATE ... RETURNING or INSERT ... SELECT,
and building tens of thousands of model instances per minute is what made a
Python sweep slow. `leadloop bench` times it against a raw UPDATE.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass
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

    def ids(self, alias: str, ids: list[int]) -> tuple[str, Any]:
        """`alias.id` in a list, as one parameter whatever its length."""
        if self.pg:
            return f"{alias}.id = ANY(%s)", ids
        return f"{alias}.id IN (SELECT value FROM json_each(%s))", json.dumps(ids)


@dataclass(frozen=True)
class _Claimed:
    """A clock this sweep won, with what its event and notifications need."""

    id: int
    lead_id: int
    user_id: int | None
    team_id: int
    escalated: bool
    kind: str
    producer_id: int | None


def _claim(
    sql: _Sql,
    *,
    now: datetime,
    limit: int,
    warn: bool,
    after: tuple[Any, int] | None = None,
) -> tuple[list[_Claimed], tuple[Any, int] | None]:
    """Mark up to `limit` due clocks breached (or at risk); the clocks this call won,
    and where in the index (time, id) the next batch starts.

    Each batch starts after the last clock the previous one took: the index
    still holds the entries of the clocks just claimed (until vacuum), and
    walking them again cost each batch the heap visits of all the earlier
    ones (160 ms for the empty last batch after 10,000 breaches, at
    1,000,000 open leads). A clock skipped there because another sweep held
    it is that sweep's; one that falls due with an earlier time meanwhile is
    the next tick's.
    """
    t = sql.t
    # Only a sales clock's breach tells the lead's producer (`_producers`), so only
    # a sales clock reads its lead: at 1,000,000 open leads the lookup of every
    # claimed clock's lead was half the claim (EXPLAIN: 0.15 ms a row, mostly
    # pages read from disk, 730 ms of 1.47 s for a batch of 5,000 inside clocks).
    sales = ", ".join(f"'{k.value}'" for k in sorted(SALES_KINDS))
    returning = (
        f"RETURNING id, lead_id, user_id, team_id, kind, {'warn_at' if warn else 'due_at'}, "
        f"CASE WHEN kind IN ({sales}) THEN (SELECT handed_off_by_id FROM {t['lead']} "
        f"WHERE {t['lead']}.id = lead_id) END"
    )
    # The pick is a MATERIALIZED CTE: as a plain IN (subquery) PostgreSQL may
    # run the LIMITed, SKIP LOCKED pick more than once and claim more rows.
    at = sql.at(now)
    column = "warn_at" if warn else "due_at"
    start = f"AND ({column}, id) > (%s, %s) " if after else ""
    start_params = list(after) if after else []
    if warn:
        pick = (
            f"SELECT id FROM {t['clock']} WHERE result = '' AND warned_at IS NULL "
            f"AND warn_at <= %s AND due_at > %s {start}"
            f"ORDER BY warn_at, id LIMIT %s {sql.lock}"
        )
        statement = (
            f"WITH picked AS MATERIALIZED ({pick}) "
            f"UPDATE {t['clock']} SET warned_at = %s WHERE id IN (SELECT id FROM picked) "
            f"AND result = '' AND warned_at IS NULL {returning}, NULL"
        )
        params: list[Any] = [at, at, *start_params, limit, at]
    else:
        pick = (
            f"SELECT id FROM {t['clock']} WHERE result = '' AND due_at <= %s {start}"
            f"ORDER BY due_at, id LIMIT %s {sql.lock}"
        )
        # One UPDATE marks the breach and, where the team has a manager, its
        # escalation: each rewrite of a clock row costs a write to every index.
        statement = (
            f"WITH picked AS MATERIALIZED ({pick}) "
            f"UPDATE {t['clock']} SET result = '{ClockResult.BREACHED.value}', breached_at = %s, "
            f"escalated_at = CASE WHEN EXISTS (SELECT 1 FROM {t['team']} tm "
            "WHERE tm.id = team_id AND tm.manager_id IS NOT NULL) THEN %s END "
            f"WHERE id IN (SELECT id FROM picked) AND result = '' {returning}, escalated_at"
        )
        params = [at, *start_params, limit, at, at]
    with connection.cursor() as cur:
        cur.execute(statement, params)
        rows = cur.fetchall()
    claimed = [
        _Claimed(r[0], r[1], r[2], r[3], escalated=r[7] is not None, kind=r[4], producer_id=r[6])
        for r in rows
    ]
    # Where the next batch starts, in the database's own form: SQLite hands back
    # naive or aware datetimes depending on how a row's time was written.
    last = max(((_stored_utc(r[5]), r[0]) for r in rows), default=None)
    start_at = (sql.at(last[0]), last[1]) if last is not None else after
    return sorted(claimed, key=lambda c: c.id), start_at


def _stored_utc(moment: datetime) -> datetime:
    """A time read back by raw SQL, as UTC: SQLite stores naive UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _insert_events(
    sql: _Sql, kind: str, claimed: list[_Claimed], managers: dict[int, int], now: datetime
) -> None:
    """One event per clock in one INSERT ... SELECT; a breach that was escalated names
    the manager it went to (`to`), so the lead's history says both in one line
    and the sweep writes one row per breach, not two.

    The rows come from the claimed clocks in hand (as one JSON parameter), not
    from the clock table again: reading back 5,000 just-updated clocks by id
    was 170 ms of the 380 ms insert at 1,000,000 open leads (EXPLAIN ANALYZE).
    """
    rows = []
    for c in claimed:
        data: dict[str, Any] = {"clock": c.kind, "clock_id": c.id}
        to = managers.get(c.team_id) if c.escalated else None
        if to is not None:
            data["to"] = to
        rows.append({"lead_id": c.lead_id, "data": data})
    if sql.pg:
        source = (
            "SELECT (x.e ->> 'lead_id')::bigint AS lead_id, x.e -> 'data' AS data "
            "FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS x(e, n) ORDER BY x.n"
        )
    else:
        source = (
            "SELECT json_extract(value, '$.lead_id') AS lead_id, "
            "json_extract(value, '$.data') AS data FROM json_each(%s) ORDER BY key"
        )
    statement = (
        f"INSERT INTO {sql.t['event']} (lead_id, kind, action, at, actor_id, from_stage, "
        "to_stage, reason_code_id, data) "
        f"SELECT r.lead_id, '{kind}', '', %s, NULL, '', '', NULL, r.data FROM ({source}) r"
    )
    with connection.cursor() as cur:
        cur.execute(statement, [sql.at(now), json.dumps(rows)])
    _queue_webhooks(sql, kind, [c.id for c in claimed], now)


def _queue_webhooks(sql: _Sql, kind: str, clock_ids: list[int], now: datetime) -> None:
    """The webhook messages for the events just written, in SQL too: the events of
    this kind at this moment on the clocks' leads (a second sweep at the same
    moment adds no message twice)."""
    t = sql.t
    where, param = sql.ids("c", clock_ids)
    webhooks.queue_sql(
        kind=kind,
        events_where=(
            f"e.kind = %s AND e.at = %s AND e.lead_id IN "
            f"(SELECT c.lead_id FROM {t['clock']} c WHERE {where})"
        ),
        params=[kind, sql.at(now), param],
        now=now,
    )


def _notifications(
    kind: str, groups: dict[tuple[int, int | None], list[_Claimed]], now: datetime
) -> list[Notification]:
    """One notification per recipient (and team, for a manager) and batch: about the
    lead when there is one clock, a count when there are several.

    A manager whose team misses 300 first contacts in a minute wants one
    message saying so, not 300; the events on each lead still record every
    breach. Grouped here from the claimed rows rather than in SQL: a few
    thousand tuples in memory cost less than reading the clocks again.
    """
    notes = []
    for (user_id, team_id), clocks in sorted(groups.items(), key=lambda g: (g[0][0], g[0][1] or 0)):
        one = clocks[0] if len(clocks) == 1 else None
        data: dict[str, Any] = {"count": len(clocks)}
        if team_id is not None:
            data["team"] = team_id
        notes.append(
            Note(
                user_id,
                kind,
                data,
                lead_id=one.lead_id if one else None,
                clock_id=one.id if one else None,
            )
        )
    return write(notes, now=now)


def _producers(claimed: list[_Claimed], now: datetime) -> list[Notification]:
    """Seed 000: a sales SLA missed on a lead an inside rep produced is news for her."""
    notes = [
        Note(
            c.producer_id,
            NotificationKind.LEAD_EVENT,
            {
                "summary": f"sales missed the {ClockKind(c.kind).label.lower()} SLA",
                "actor": "leadloop",
            },
            lead_id=c.lead_id,
            clock_id=c.id,
        )
        for c in claimed
        if c.kind in SALES_KINDS and c.producer_id is not None and c.producer_id != c.user_id
    ]
    return write(notes, now=now)


def _by_owner(claimed: list[_Claimed]) -> dict[tuple[int, int | None], list[_Claimed]]:
    groups: dict[tuple[int, int | None], list[_Claimed]] = defaultdict(list)
    for c in claimed:
        if c.user_id is not None:
            groups[(c.user_id, None)].append(c)
    return groups


def _managers(claimed: list[_Claimed]) -> dict[int, int]:
    """The manager of each team a clock was escalated to."""
    teams = {c.team_id for c in claimed if c.escalated}
    return dict(
        Team.objects.filter(pk__in=teams, manager__isnull=False).values_list("pk", "manager_id")
    )


def _by_manager(
    claimed: list[_Claimed], managers: dict[int, int]
) -> dict[tuple[int, int | None], list[_Claimed]]:
    """Escalations go to each team's manager, unless the clock was her own."""
    groups: dict[tuple[int, int | None], list[_Claimed]] = defaultdict(list)
    for c in claimed:
        manager = managers.get(c.team_id) if c.escalated else None
        if manager is not None and manager != c.user_id:
            groups[(manager, c.team_id)].append(c)
    return groups


def _record(sql: _Sql, claimed: list[_Claimed], now: datetime, *, warn: bool) -> int:
    """The events and notifications of the clocks one batch won; how many notifications."""
    if warn:
        _insert_events(sql, EventKind.SLA_AT_RISK, claimed, {}, now)
        told = _notifications(NotificationKind.SLA_AT_RISK, _by_owner(claimed), now)
        return len(told)
    managers = _managers(claimed)
    _insert_events(sql, EventKind.SLA_BREACHED, claimed, managers, now)
    told = _notifications(NotificationKind.SLA_BREACHED, _by_owner(claimed), now)
    told += _notifications(NotificationKind.ESCALATION, _by_manager(claimed, managers), now)
    told += _producers(claimed, now)
    return len(told)


def sla_sweep(*, now: datetime, batch_size: int = BATCH_SIZE) -> SweepResult:
    """Breach, escalate and warn everything due at `now`; safe to run twice or in parallel."""
    # UTC, in the database's own form: on SQLite the comparison is between texts, and
    # a `now` with an offset would breach clocks hours early or late.
    now = utc(now, "now")
    sql = _Sql()
    result = SweepResult()
    for warn in (False, True):
        after: tuple[Any, int] | None = None
        while True:
            with transaction.atomic():
                claimed, after = _claim(sql, now=now, limit=batch_size, warn=warn, after=after)
                if claimed:
                    result.batches += 1
                    if warn:
                        result.warned += len(claimed)
                    else:
                        result.breached += len(claimed)
                        result.escalated += sum(c.escalated for c in claimed)
                    result.notifications += _record(sql, claimed, now, warn=warn)
            if len(claimed) < batch_size:
                break
    if result.breached or result.warned:
        log.info("sla sweep", extra={"now": now.isoformat(), **result.as_dict()})
    return result
