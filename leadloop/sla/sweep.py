"""The SLA sweep: breach what is past due, warn what is at risk, escalate breaches.

It follows the healthchecks sweeper: due clocks are found through partial
indexes on running clocks, claimed with a conditional UPDATE ... RETURNING
(`result = ''` re-checked on the row, so a clock is claimed once however
many sweeps run), and only the claimed rows get their events and
notifications, written with INSERT ... SELECT in the same transaction. On
PostgreSQL two workers sweeping at once take disjoint rows (FOR UPDATE SKIP
LOCKED); on SQLite the IMMEDIATE transaction serializes them. Every batch is
one transaction, so a sweep that dies halfway leaves whole batches done and
the rest still due for the next run.

Raw SQL on purpose: the ORM has no UPDATE ... RETURNING or INSERT ... SELECT,
and building tens of thousands of model instances per minute is what made a
Python sweep miss the one-second target.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from leadloop.accounts.models import Team, User
from leadloop.leads.choices import EventKind
from leadloop.leads.models import LeadEvent
from leadloop.notifications.choices import NotificationKind
from leadloop.notifications.models import Notification
from leadloop.notifications.services import EMAIL_STATE_FOR_MODE, queue_email_delivery
from leadloop.sla.choices import ClockResult
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
        self.empty_json = "'{}'::jsonb" if self.pg else "'{}'"
        self.t = _tables()
        modes = " ".join(
            f"WHEN '{mode}' THEN '{state}'" for mode, state in EMAIL_STATE_FOR_MODE.items()
        )
        self.email_state = f"CASE {{u}}.notify_mode {modes} ELSE 'off' END"

    def ids(self, alias: str, ids: list[int]) -> tuple[str, Any]:
        """`alias.id` in a list, as one parameter whatever its length."""
        if self.pg:
            return f"{alias}.id = ANY(%s)", ids
        return f"{alias}.id IN (SELECT value FROM json_each(%s))", json.dumps(ids)


def _claim(sql: _Sql, *, now: datetime, limit: int, warn: bool) -> tuple[list[int], int]:
    """Mark up to `limit` due clocks breached (or at risk): the ids this call won, and how
    many of those it escalated."""
    t = sql.t
    # The pick is a MATERIALIZED CTE: as a plain IN (subquery) PostgreSQL may
    # run the LIMITed, SKIP LOCKED pick more than once and claim more rows.
    if warn:
        pick = (
            f"SELECT id FROM {t['clock']} WHERE result = '' AND warned_at IS NULL "
            f"AND warn_at <= %s AND due_at > %s ORDER BY warn_at LIMIT %s {sql.lock}"
        )
        statement = (
            f"WITH picked AS MATERIALIZED ({pick}) "
            f"UPDATE {t['clock']} SET warned_at = %s WHERE id IN (SELECT id FROM picked) "
            "AND result = '' AND warned_at IS NULL RETURNING id, NULL"
        )
        params: list[Any] = [now, now, limit, now]
    else:
        pick = (
            f"SELECT id FROM {t['clock']} WHERE result = '' AND due_at <= %s "
            f"ORDER BY due_at LIMIT %s {sql.lock}"
        )
        # One UPDATE marks the breach and, where the team has a manager, its
        # escalation: each rewrite of a clock row costs a write to every index.
        statement = (
            f"WITH picked AS MATERIALIZED ({pick}) "
            f"UPDATE {t['clock']} SET result = '{ClockResult.BREACHED.value}', breached_at = %s, "
            f"escalated_at = CASE WHEN EXISTS (SELECT 1 FROM {t['team']} tm "
            "WHERE tm.id = team_id AND tm.manager_id IS NOT NULL) THEN %s END "
            "WHERE id IN (SELECT id FROM picked) AND result = '' RETURNING id, escalated_at"
        )
        params = [now, limit, now, now]
    with connection.cursor() as cur:
        cur.execute(statement, params)
        rows = cur.fetchall()
    return sorted(row[0] for row in rows), sum(row[1] is not None for row in rows)


def _event_insert(sql: _Sql, kind: str, extra_json: str, join: str, where: str) -> str:
    t = sql.t
    return (
        f"INSERT INTO {t['event']} (lead_id, kind, action, at, actor_id, from_stage, to_stage, "
        "reason_code_id, data) "
        f"SELECT c.lead_id, '{kind}', '', %s, NULL, '', '', NULL, "
        f"{sql.json_object}('clock', c.kind, 'clock_id', c.id{extra_json}) "
        f"FROM {t['clock']} c {join} WHERE {where} ORDER BY c.id"
    )


def _breach_events(sql: _Sql, where: str) -> str:
    """The breach event of every clock and, where its team has a manager, the escalation
    event: one INSERT reading the clocks once."""
    t = sql.t
    data = f"{sql.json_object}('clock', c.kind, 'clock_id', c.id)"
    escalated = f"{sql.json_object}('clock', c.kind, 'clock_id', c.id, 'to', tm.manager_id)"
    return (
        f"INSERT INTO {t['event']} (lead_id, kind, action, at, actor_id, from_stage, to_stage, "
        "reason_code_id, data) "
        f"SELECT c.lead_id, e.kind, '', %s, NULL, '', '', NULL, "
        f"CASE e.kind WHEN '{EventKind.SLA_BREACHED}' THEN {data} ELSE {escalated} END "
        f"FROM {t['clock']} c LEFT JOIN {t['team']} tm ON tm.id = c.team_id "
        f"CROSS JOIN (SELECT '{EventKind.SLA_BREACHED}' AS kind, 0 AS n "
        f"UNION ALL SELECT '{EventKind.ESCALATED}', 1) e "
        f"WHERE {where} AND (e.n = 0 OR tm.manager_id IS NOT NULL) ORDER BY c.id, e.n"
    )


def _notification_insert(
    sql: _Sql, kind: str, recipient: str, join: str, where: str, group: str = ""
) -> str:
    """One notification per recipient and batch: about the lead when there is one clock,
    a count (and the team, for managers) when there are several.

    A manager whose team misses 300 first contacts in a minute wants one message
    saying so, not 300; the events on each lead still record every breach.
    """
    t = sql.t
    extra = f", 'team', {group}" if group else ""
    return (
        f"INSERT INTO {t['note']} (user_id, kind, lead_id, clock_id, event_id, data, created_at, "
        "read_at, email_state, emailed_at) "
        f"SELECT {recipient}, '{kind}', "
        "CASE WHEN count(*) = 1 THEN min(c.lead_id) END, "
        "CASE WHEN count(*) = 1 THEN min(c.id) END, NULL, "
        f"{sql.json_object}('count', count(*){extra}), %s, NULL, "
        f"{sql.email_state.format(u='u')}, NULL "
        f"FROM {t['clock']} c {join} WHERE {where} AND u.is_active "
        f"GROUP BY {recipient}, u.notify_mode{', ' + group if group else ''} "
        f"ORDER BY {recipient}"
    )


def _record_breaches(sql: _Sql, ids: list[int], now: datetime, result: SweepResult) -> None:
    t = sql.t
    where, param = sql.ids("c", ids)
    manager = f"JOIN {t['team']} tm ON tm.id = c.team_id AND tm.manager_id IS NOT NULL"
    with connection.cursor() as cur:
        cur.execute(_breach_events(sql, where), [now, param])
        cur.execute(
            _notification_insert(
                sql,
                NotificationKind.SLA_BREACHED,
                "c.user_id",
                f"JOIN {t['user']} u ON u.id = c.user_id",
                where,
            ),
            [now, param],
        )
        result.notifications += cur.rowcount
        cur.execute(
            _notification_insert(
                sql,
                NotificationKind.ESCALATION,
                "tm.manager_id",
                f"{manager} JOIN {t['user']} u ON u.id = tm.manager_id",
                where + " AND (c.user_id IS NULL OR c.user_id <> tm.manager_id)",
                group="tm.id",
            ),
            [now, param],
        )
        result.notifications += cur.rowcount


def _record_warnings(sql: _Sql, ids: list[int], now: datetime, result: SweepResult) -> None:
    t = sql.t
    where, param = sql.ids("c", ids)
    with connection.cursor() as cur:
        cur.execute(_event_insert(sql, EventKind.SLA_AT_RISK, "", "", where), [now, param])
        cur.execute(
            _notification_insert(
                sql,
                NotificationKind.SLA_AT_RISK,
                "c.user_id",
                f"JOIN {t['user']} u ON u.id = c.user_id",
                where,
            ),
            [now, param],
        )
        result.notifications += cur.rowcount


def sla_sweep(*, now: datetime, batch_size: int = BATCH_SIZE) -> SweepResult:
    """Breach, escalate and warn everything due at `now`; safe to run twice or in parallel."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    sql = _Sql()
    result = SweepResult()
    for warn in (False, True):
        while True:
            with transaction.atomic():
                ids, escalated = _claim(sql, now=now, limit=batch_size, warn=warn)
                if ids:
                    result.batches += 1
                    if warn:
                        result.warned += len(ids)
                        _record_warnings(sql, ids, now, result)
                    else:
                        result.breached += len(ids)
                        result.escalated += escalated
                        _record_breaches(sql, ids, now, result)
                    queue_email_delivery()
            if len(ids) < batch_size:
                break
    if result.breached or result.warned:
        log.info("sla sweep", extra={"now": now.isoformat(), **result.as_dict()})
    return result
