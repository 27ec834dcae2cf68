"""Rescoring every open lead with a model, in SQL: a few statements per 50,000 leads.

A model's points are additive, so the database can add them up. What a lead's
columns mean to the model (a title case-folded, an e-mail's domain a personal
or a company address, a custom attribute read as yes/no or a number) is
decided in Python by `rules.lead_features` itself, once per *distinct* value
among the open leads, never per lead: the values become a small points table
(feature, value as stored, points, breakdown line) that the rescoring joins.
Probability and tier depend on the integer score only, so they come from a
101-row table that `rules.probability` and `rules.tier_for` fill. Engagement
(connects, unanswered dials, re-submissions, fading with their half-life) is
the same arithmetic as `rules.engagement_lines`, rounded half to even as
Python's `round` does. The breakdown is the same JSON, written by joining
the lines' text. Single leads (intake, an activity) keep `rules.score_lead`;
the tests hold the two equal on both databases.

Per chunk of open leads: one INSERT ... SELECT computes the scores into a
staging table with the lead's old score and tier, one upsert writes them with
their lines (`leads.LeadScore`, see there why the score is not on the lead row:
a rescoring writes no lead), one INSERT ... SELECT writes a `score_changed`
event for each lead whose tier moved, and the webhook messages for those events
follow in SQL too. On PostgreSQL the three are one statement (data-modifying
CTEs) and the scores never go through the staging table: 6-7 % faster at
150,000 open leads, alternating the two in one run.

Only leads not yet on the model's version are rescored (a lead scored at
intake once the model is active already is). Two ways to run the chunks:
`rescore_open` writes them all in one transaction (a caller's transaction,
SQLite); `rescore_open_committed`, on PostgreSQL outside any transaction,
commits each chunk with its events and webhook messages, on `WORKERS`
connections at once, each with its own temporary tables: one connection keeps
one core busy. A run that stops leaves its committed
chunks done; running it again rescores the rest, nothing twice.

On SQLite, times are read to the millisecond (`julianday`): a lead whose last
activity carries microseconds may fade by a hair less than in Python, which
changes an engagement line only when it lies within a millionth of a point of
a half. On PostgreSQL the arithmetic is Python's, bit for bit.
"""

# ruff: noqa: S608 (statements built from constants; the few texts inlined are escaped literals)
from __future__ import annotations

import json
import math
import threading
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.db import connection, transaction

from leadloop.accounts.models import User
from leadloop.campaigns.models import Campaign
from leadloop.leads import states
from leadloop.leads.choices import EventKind
from leadloop.leads.models import Lead, LeadEvent, LeadScore
from leadloop.lifecycle import bulk, webhooks
from leadloop.scoring import rules
from leadloop.scoring.models import ScoringModel

_T = TypeVar("_T")
# Leads per chunk. At 1,088,182 open leads on two connections, chunks of 50,000
# took 54.4 and 59.6 s against 63.2 and 64.8 s for 100,000, alternating: the
# two connections finish closer together, and a chunk's computed scores with
# their lines (~60 MB at 100,000) stay within work_mem.
CHUNK = 50_000
STAGING = "leadloop_rescore"
POINTS = "leadloop_rescore_points"
SCALE = "leadloop_rescore_scale"
TEXT_COLUMNS = frozenset({"industry", "revenue_band", "country", "region", "title"})
ENGAGEMENT = (
    # count column, rule, cap rule, one, many: as `rules.engagement_lines` has them
    ("nc", "connect", "connect_cap", "connected call or reply", "connected calls or replies"),
    ("nu", "unanswered", "unanswered_cap", "unanswered dial", "unanswered dials"),
    ("nr", "resubmission", "resubmission_cap", "form re-submission", "form re-submissions"),
)


# Connections rescoring at once on PostgreSQL (committed chunks): a statement
# runs on one core. Three on two cores were slower (82.1 s against 70.6 s at
# 1,088,182 open leads, when the scores were still written on the lead rows).
WORKERS = 2


def rescore_open(
    model: ScoringModel,
    *,
    actor: User | None,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Rescore every open lead not yet on the model; (leads rescored, tier changes).

    One transaction: the leads, their tier-change events and webhook messages
    are written together or not at all."""
    with transaction.atomic():
        if connection.vendor != "postgresql":
            return _rescore_open(model, actor=actor, now=now, progress=progress)
        before = _set(_RESCORING_SETTINGS)
        try:
            return _rescore_open(model, actor=actor, now=now, progress=progress)
        finally:
            _set(before)


# PostgreSQL settings for the rescoring's statements, transaction-local: set back
# after `rescore_open` (the caller's transaction goes on), ended by each committed
# chunk's commit.
# JIT off: each chunk's statement costs far above `jit_above_cost`, so PostgreSQL
# compiled its ~140 expressions anew for every chunk: 2.8-3.7 s of a
# 100,000-lead chunk (EXPLAIN's JIT timing; computing that chunk's scores took
# 9.9 s with JIT, 6.0 s without). Whole runs at 1,045,971 open leads on a machine
# at load 6-9 were too noisy to show it (without: 193 and 176 s; with: 209 and
# 161 s; the raw UPDATE 140 and 156 s). work_mem as the reports have it: with
# the server's 4 MB, sorting a chunk's ~75,000 tier-change events spilled
# ~10 MB to disk per chunk.
_RESCORING_SETTINGS = {"jit": "off", "work_mem": "64MB"}


def _set(values: Mapping[str, str]) -> dict[str, str]:
    """Set these for the rest of the transaction; the values they had."""
    before = {}
    with connection.cursor() as cur:
        for name, value in values.items():
            cur.execute("SELECT current_setting(%s)", [name])
            before[name] = str(cur.fetchone()[0])
            cur.execute("SELECT set_config(%s, %s, true)", [name, value])
    return before


def rescore_open_committed(
    model: ScoringModel,
    *,
    actor: User | None,
    now: datetime,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> tuple[int, int]:
    """PostgreSQL, outside any transaction: every open lead not yet on the model's
    version rescored, each chunk committed on its own (its leads, their tier-change
    events and webhook messages together), `workers` connections at once.

    A run that stopped leaves its committed chunks done: running it again rescores
    the rest and nothing twice. `progress` is called with the leads done so far,
    from one thread at a time. `workers`: connections, `WORKERS` unless given."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        raise RuntimeError("committed chunks need PostgreSQL and no open transaction")
    # The chunks' ranges on a connection of their own while the points are found:
    # each is a pass over the lead table, and each keeps one core busy.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="rescoring-ranges") as pool:
        found = pool.submit(_closing(_ranges), model.version)
        plan = _plan(model, now, pg=True)
        ranges = found.result()
    lock = threading.Lock()
    queue = deque(ranges)
    done = [0, 0]
    failed: list[BaseException] = []

    def work() -> None:
        try:
            _session(plan)
            while True:
                with lock:
                    if failed or not queue:
                        return
                    after, hi = queue.popleft()
                with transaction.atomic():
                    # Transaction-local: they end with the chunk's commit.
                    _set(_RESCORING_SETTINGS)
                    count, moved = _chunk(plan, after, hi, model, actor, now)
                with lock:
                    done[0] += count
                    done[1] += moved
                    if count and progress is not None:
                        progress(done[0])
        except BaseException as exc:
            with lock:
                failed.append(exc)

    threads = [
        threading.Thread(target=_closing(work), name=f"rescoring-{i}")
        for i in range(min(workers or WORKERS, len(ranges)) - 1)
    ]
    for thread in threads:
        thread.start()
    work()
    for thread in threads:
        thread.join()
    if failed:
        raise failed[0]
    return done[0], done[1]


def _closing(fn: Callable[..., _T]) -> Callable[..., _T]:
    """`fn` run in another thread, that thread's connection closed after it."""

    def run(*args: Any) -> _T:
        try:
            return fn(*args)
        finally:
            connection.close()

    return run


def _ranges(version: int) -> list[tuple[int, int | None]]:
    """The chunks' id ranges (after, up to) over the open leads not on this version;
    the last one open-ended."""
    t_lead = _q(Lead._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT id FROM (SELECT l.id, row_number() OVER (ORDER BY l.id) AS n "
            f"FROM {t_lead} l {_with_score()} WHERE {_open_where()} AND {_stale(version)}) t "
            f"WHERE n % {int(CHUNK)} = 0 ORDER BY id"
        )
        tops = [int(row[0]) for row in cur.fetchall()]
    bounds = [0, *tops]
    return [
        *((bounds[i], bounds[i + 1]) for i in range(len(tops))),
        (bounds[-1], None),
    ]


def _with_score() -> str:
    """The lead's score row (alias `ls`; none for a lead never scored), joined to `l`."""
    return f"LEFT JOIN {_q(LeadScore._meta.db_table)} ls ON ls.lead_id = l.id"


def _stale(version: int) -> str:
    """Not yet on this version (on the score alias `ls`): a lead already on it was
    rescored by a run that stopped later, or scored at intake with the model active."""
    return f"ls.score_model IS DISTINCT FROM {int(version)}"


@dataclass(frozen=True)
class _Plan:
    pg: bool
    compute: str
    points: list[tuple[int, str, int, str]]
    scale: list[tuple[int, float, str]]


def _plan(model: ScoringModel, now: datetime, *, pg: bool) -> _Plan:
    """What every connection rescoring needs: the chunk statement, the points, the scale."""
    spec = model.spec
    features = list(spec.get("features", []))
    keys = [_key_sql(f["name"], pg) for f in features]
    at = bulk.db_time(now)
    now_sql = f"CAST({_literal(now.isoformat())} AS timestamptz)" if pg else _literal(str(at))
    compute = _compute_sql(spec, features, keys, pg, model.version).replace("{now}", now_sql)
    return _Plan(pg, compute, _points(features, keys), _scale(spec))


def _session(plan: _Plan) -> None:
    """This connection's temporary tables, filled."""
    _ensure_math()
    _create_tables(plan.pg)
    bulk.insert_raw(POINTS, ["f", "k", "points", "line"], plan.points)
    bulk.insert_raw(SCALE, ["score", "probability", "tier"], plan.scale)


def _rescore_open(
    model: ScoringModel,
    *,
    actor: User | None,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    pg = connection.vendor == "postgresql"
    plan = _plan(model, now, pg=pg)
    _session(plan)
    total = changes = 0
    for after, hi in _ranges(model.version):
        count, moved = _chunk(plan, after, hi, model, actor, now)
        total += count
        changes += moved
        if count and progress is not None:
            progress(total)
    return total, changes


def _chunk(
    plan: _Plan, after: int, hi: int | None, model: ScoringModel, actor: User | None, now: datetime
) -> tuple[int, int]:
    """Rescore the open leads with ids in (after, hi]; (leads, tier changes)."""
    at = bulk.db_time(now)

    def within(col: str) -> str:
        return f"{col} > {int(after)}" + (f" AND {col} <= {int(hi)}" if hi is not None else "")

    bounds = within("l.id")
    event_bounds = within("lead_id")
    chunk = plan.compute.replace("{bounds}", bounds).replace("{event_bounds}", event_bounds)
    if plan.pg:
        count, moved, events_where = _write_in_one(chunk, model, actor, at)
    else:
        count, moved, events_where = _write_staged(chunk, model, actor, at, "json_object")
    if moved:
        # The chunk's leads too: another connection's chunk writes events of the same
        # kind and time whose ids may lie between this chunk's.
        webhooks.queue_sql(
            kind=EventKind.SCORE_CHANGED,
            events_where=f"{events_where} AND {within('e.lead_id')}",
            params=[EventKind.SCORE_CHANGED.value, at],
            now=now,
        )
    return count, moved


_EVENT_COLUMNS = "lead_id, kind, action, at, actor_id, from_stage, to_stage, reason_code_id, data"


def _upsert(source: str) -> str:
    """The computed scores of `source` (alias `s`) with their lines, one row per lead
    (`leads.LeadScore`); its parameters: the time and the model's version. `WHERE true`:
    SQLite reads ON CONFLICT after a bare SELECT as a join's."""
    return (
        f"INSERT INTO {LeadScore._meta.db_table} "
        "(lead_id, score, score_probability, tier, scored_at, score_model, lines) "
        f"SELECT s.id, s.score, s.probability, s.tier, %s, %s, s.breakdown FROM {source} s "
        "WHERE true ON CONFLICT (lead_id) DO UPDATE SET score = excluded.score, "
        "score_probability = excluded.score_probability, tier = excluded.tier, "
        "scored_at = excluded.scored_at, score_model = excluded.score_model, "
        "lines = excluded.lines"
    )


def _event_data(json_object: str, version: int) -> str:
    return (
        f"{json_object}('score', s.score, 'from_score', s.old_score, 'tier', s.tier, "
        f"'from_tier', s.old_tier, 'model', {int(version)})"
    )


def _write_staged(
    chunk: str, model: ScoringModel, actor: User | None, at: Any, json_object: str
) -> tuple[int, int, str]:
    """The chunk's scores into the staging table, then their rows and the events from it."""
    t_event = _q(LeadEvent._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {STAGING}")
        cur.execute(
            f"INSERT INTO {STAGING} (id, score, breakdown, probability, tier, "
            "old_score, old_tier) " + chunk
        )
        count = max(cur.rowcount, 0)
        if not count:
            return 0, 0, ""
        cur.execute(_upsert(STAGING), [at, model.version])
        cur.execute(f"SELECT max(id) FROM {t_event}")
        before = int(cur.fetchone()[0] or 0)
        cur.execute(
            f"INSERT INTO {t_event} ({_EVENT_COLUMNS}) "
            f"SELECT s.id, %s, '', %s, %s, '', '', NULL, {_event_data(json_object, model.version)} "
            f"FROM {STAGING} s WHERE s.tier <> s.old_tier ORDER BY s.id",
            [EventKind.SCORE_CHANGED.value, at, actor.pk if actor is not None else None],
        )
        moved = max(cur.rowcount, 0)
    # The events just written: newer than every event before them (not an earlier tier
    # change of the same lead at the same moment), of this kind and time.
    changed = f"SELECT s.id FROM {STAGING} s WHERE s.tier <> s.old_tier"
    where = f"e.id > {before} AND e.kind = %s AND e.at = %s AND e.lead_id IN ({changed})"
    return count, moved, where


def _write_in_one(
    chunk: str, model: ScoringModel, actor: User | None, at: Any
) -> tuple[int, int, str]:
    """PostgreSQL: the chunk's scores computed and written, and the tier-change events, in one
    statement (data-modifying CTEs), the scores never written to a staging table.
    Returns the leads, the events, and where the events are for their webhooks."""
    t_event = _q(LeadEvent._meta.db_table)
    # The computed scores hold only literals; `%` in a label must not read as a parameter.
    chunk = chunk.replace("%", "%%")
    with connection.cursor() as cur:
        cur.execute(
            "WITH s (id, score, breakdown, probability, tier, old_score, old_tier) AS "
            f"MATERIALIZED ({chunk}), "
            f"u AS ({_upsert('s')} RETURNING lead_id), "
            f"e AS (INSERT INTO {t_event} ({_EVENT_COLUMNS}) "
            "SELECT s.id, %s, '', %s, %s, '', '', NULL, "
            f"{_event_data('jsonb_build_object', model.version)} "
            "FROM s WHERE s.tier <> s.old_tier ORDER BY s.id RETURNING id) "
            "SELECT (SELECT count(*) FROM u), count(e.id), min(e.id), max(e.id) FROM e",
            [
                at,
                model.version,
                EventKind.SCORE_CHANGED.value,
                at,
                actor.pk if actor is not None else None,
            ],
        )
        count, moved, low, high = cur.fetchone()
    # The events this statement wrote: their ids, kind and time (ids other writers took
    # meanwhile between them are of other events or other times).
    where = f"e.kind = %s AND e.at = %s AND e.id BETWEEN {int(low or 0)} AND {int(high or 0)}"
    return int(count), int(moved), where


# -- what a lead's columns are to a feature -------------------------------------


def _key_sql(name: str, pg: bool) -> str | None:
    """The SQL (lead alias `l`) whose distinct values decide a feature; None: no column."""
    if name in TEXT_COLUMNS:
        return f"l.{name}"
    if name in ("campaign", "channel"):
        return "CAST(l.campaign_id AS text)"
    if name == "employees":
        return "CAST(l.employees AS text)"
    if name == "email_kind":
        # The part after the last '@' (None without one); Python strips and case-folds it.
        if pg:
            return "CASE WHEN strpos(l.email, '@') > 0 THEN substring(l.email from '[^@]*$') END"
        return (
            "CASE WHEN instr(l.email, '@') > 0 "
            "THEN replace(l.email, rtrim(l.email, replace(l.email, '@', '')), '') END"
        )
    if name == "phone_given":
        blank = (
            "btrim(l.phone, E' \\t\\n\\r\\f\\v')"
            if pg
            else "trim(l.phone, ' ' || char(9, 10, 11, 12, 13))"
        )
        return f"CASE WHEN {blank} <> '' THEN 'given' END"
    if name.startswith("attributes."):
        attribute = name.removeprefix("attributes.")
        if pg:
            return f"CAST(l.attributes -> {_literal(attribute)} AS text)"
        return f"(l.attributes -> {_literal('$.' + json.dumps(attribute))})"
    return None


def _feature_value(
    name: str, key: str | None, campaigns: Mapping[int, tuple[str, str]]
) -> rules.Value:
    """A distinct key read back as `rules.lead_features` makes it a feature value."""
    fields: dict[str, Any] = {}
    if key is not None:
        if name in TEXT_COLUMNS:
            fields[name] = key
        elif name in ("campaign", "channel"):
            campaign = campaigns.get(int(key))
            if campaign is not None:
                fields["campaign"], fields["channel"] = campaign
        elif name == "employees":
            fields["employees"] = int(key)
        elif name == "email_kind":
            fields["email"] = f"x@{key}"
        elif name == "phone_given":
            fields["phone"] = key
        elif name.startswith("attributes."):
            fields["attributes"] = {name.removeprefix("attributes."): json.loads(key)}
    return rules.lead_features(fields).get(name)


def _line(feature: Mapping[str, Any], value: rules.Value) -> tuple[int, str]:
    label, points = rules.bin_of(feature, value)
    line = {"factor": f"{feature['label']}: {label}", "points": points, "part": "fit"}
    return points, bulk.db_json(line)


# -- the tables ---------------------------------------------------------------


def _create_tables(pg: bool) -> None:
    with connection.cursor() as cur:
        cur.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING} ("
            "id bigint PRIMARY KEY, score integer NOT NULL, "
            f"breakdown text NOT NULL, probability double precision, "
            "tier varchar(1) NOT NULL, old_score integer, old_tier varchar(1))"
        )
        cur.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {POINTS} ("
            "f integer NOT NULL, k text NOT NULL, points integer NOT NULL, "
            "line text NOT NULL, PRIMARY KEY (f, k))"
        )
        cur.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {SCALE} ("
            "score integer PRIMARY KEY, probability double precision NOT NULL, "
            "tier varchar(1) NOT NULL)"
        )
        for table in (STAGING, POINTS, SCALE):
            cur.execute(f"DELETE FROM {table}")


def _open_where() -> str:
    """Open stages (constants of leadloop) as a literal list on the lead alias `l`."""
    return f"l.stage IN ({', '.join(_literal(str(s)) for s in sorted(states.OPEN_STAGES))})"


def _points(
    features: list[dict[str, Any]], keys: list[str | None]
) -> list[tuple[int, str, int, str]]:
    """Every distinct key among the open leads, with its points and line (one SELECT)."""
    t_lead = _q(Lead._meta.db_table)
    # Features that read the same column (campaign and channel) share its distinct values.
    distinct = list(dict.fromkeys(key for key in keys if key is not None))
    if not distinct:
        return []
    if connection.vendor == "postgresql":
        # One pass over the leads, a hash table per key (grouping sets): at 1,088,182
        # open leads 1.9-2.5 s, against 3.5-3.8 s for one DISTINCT over a row per
        # lead and key (LATERAL VALUES). A set's row has its key and NULL elsewhere.
        names = [f"k{j}" for j in range(len(distinct))]
        columns = ", ".join(f"{key} AS {name}" for key, name in zip(distinct, names, strict=True))
        statement = (
            f"SELECT {', '.join(names)} FROM (SELECT {columns} FROM {t_lead} l "
            f"WHERE {_open_where()}) t GROUP BY GROUPING SETS "
            f"({', '.join(f'({name})' for name in names)})"
        )
    else:
        statement = " UNION ALL ".join(
            f"SELECT {j} AS j, k FROM (SELECT DISTINCT {key} AS k "
            f"FROM {t_lead} l WHERE {_open_where()}) d{j} WHERE k IS NOT NULL"
            for j, key in enumerate(distinct)
        )
    campaigns = {
        pk: (name, channel)
        for pk, name, channel in Campaign.objects.values_list("pk", "name", "channel")
    }
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # As for the chunks (see _RESCORING_SETTINGS): one statement, no JIT.
            _set({"jit": "off"})
            cur.execute(statement)
            found = [(j, k) for row in cur.fetchall() for j, k in enumerate(row) if k is not None]
        else:
            cur.execute(statement)
            found = cur.fetchall()
    # Each distinct key's features, so a value found is read once per feature.
    readers: dict[str, list[int]] = {}
    for f, key in enumerate(keys):
        if key is not None:
            readers.setdefault(key, []).append(f)
    rows = []
    for j, k in found:
        for f in readers[distinct[j]]:
            feature = features[f]
            points, line = _line(feature, _feature_value(feature["name"], k, campaigns))
            rows.append((f, k, points, line))
    return rows


def _scale(spec: Mapping[str, Any]) -> list[tuple[int, float, str]]:
    """Probability and tier of every score 0-100, as `rules.score_lead` gives them."""
    calibration = spec.get("calibration", {})
    cuts = spec.get("tiers", rules.DEFAULT_TIERS)
    return [
        (s, round(rules.probability(calibration, s), 4), rules.tier_for(s, cuts))
        for s in range(101)
    ]


# -- the statement ------------------------------------------------------------


def _compute_sql(
    spec: Mapping[str, Any],
    features: list[dict[str, Any]],
    keys: list[str | None],
    pg: bool,
    version: int,
) -> str:
    """SELECT id, score, breakdown, probability, tier, old score, old tier of the open
    leads in the chunk: `{bounds}` and `{event_bounds}` are left for its id range.

    Everything in it is a constant of the model or of leadloop, written as a literal:
    the statement runs without parameters."""
    real = "double precision" if pg else "REAL"
    # Each layer computed once: without the fence the planner inlines a layer's
    # expressions into the next, and the nested CASEs multiply (twenty times slower).
    fence = " OFFSET 0" if pg else " LIMIT -1 OFFSET 0"
    t_lead = _q(Lead._meta.db_table)
    t_event = _q(LeadEvent._meta.db_table)
    open_where = _open_where()
    last = (
        "CASE WHEN r.last IS NULL THEN l.last_activity_at WHEN l.last_activity_at IS NULL "
        "OR r.last > l.last_activity_at THEN r.last ELSE l.last_activity_at END"
    )
    key_cols = "".join(f", {key} AS k{i}" for i, key in enumerate(keys) if key is not None)
    base_rows = (
        # A lead never scored reads as 0, untiered (as `Lead.score` and `Lead.tier` do).
        "SELECT l.id, COALESCE(ls.score, 0) AS old_score, COALESCE(ls.tier, '') AS old_tier, "
        "l.connects AS nc, "
        "CASE WHEN l.dials > l.connects THEN l.dials - l.connects ELSE 0 END AS nu, "
        f"COALESCE(r.n, 0) AS nr, {last} AS last_at{key_cols} "
        f"FROM {t_lead} l {_with_score()} "
        "LEFT JOIN (SELECT lead_id, COUNT(*) AS n, MAX(at) AS last "
        f"FROM {t_event} WHERE kind = '{EventKind.SUBMITTED_AGAIN.value}' AND {{event_bounds}} "
        f"GROUP BY lead_id) r ON r.lead_id = l.id WHERE {open_where} AND {_stale(version)} "
        "AND {bounds}"
    )
    engagement = {**rules.DEFAULT_ENGAGEMENT, **spec.get("engagement", {})}
    half_life = float(engagement["half_life_days"])
    now_sql = "{now}"
    if pg:
        days = (
            f"GREATEST(0.0, CAST(EXTRACT(EPOCH FROM ({now_sql} - b.last_at)) AS {real}) / 86400.0)"
        )
    else:
        days = (
            f"max(0.0, CAST(round((julianday({now_sql}) - julianday(b.last_at)) * 86400000.0) "
            "AS INTEGER) / 86400000.0)"
        )
    fade = (
        f"CASE WHEN b.last_at IS NULL THEN 1.0 ELSE "
        f"power(CAST(0.5 AS {real}), {days} / CAST({half_life!r} AS {real})) END"
        if half_life > 0
        else "1.0"
    )
    joins: list[str] = []
    fit_cols: list[str] = []
    lines: list[str] = []
    for i, (feature, key) in enumerate(zip(features, keys, strict=True)):
        null_points, null_line = _line(feature, None)
        if key is None:
            fit_cols.append(f"{int(null_points)} AS pt{i}, {_literal(null_line)} AS ln{i}")
        else:
            joins.append(f"LEFT JOIN {POINTS} p{i} ON p{i}.f = {i} AND p{i}.k = b.k{i}")
            fit_cols.append(
                f"COALESCE(p{i}.points, {int(null_points)}) AS pt{i}, "
                f"COALESCE(p{i}.line, {_literal(null_line)}) AS ln{i}"
            )
        lines.append(f"h.ln{i}")
    fit = "".join(f", {col}" for col in fit_cols)
    with_fit = (
        f"SELECT b.id, b.old_score, b.old_tier, b.nc, b.nu, b.nr, {fade} AS fade{fit} "
        f"FROM ({base_rows}) b {' '.join(joins)}{fence}"
    )
    x_cols = []
    for name, per, cap, _one, _many in ENGAGEMENT:
        x_cols.append(
            f"(CAST(CASE WHEN c.{name} < {int(engagement[cap])} THEN c.{name} "
            f"ELSE {int(engagement[cap])} END AS {real}) * "
            f"CAST({float(engagement[per])!r} AS {real})) * c.fade AS x{name}"
        )
    with_x = f"SELECT c.*, {', '.join(x_cols)} FROM ({with_fit}) c{fence}"
    e_cols = []
    for name, *_ in ENGAGEMENT:
        x = f"d.x{name}"
        # Python's round: half to even.
        rounded = f"CASE WHEN {x} - floor({x}) = 0.5 THEN 2 * round({x} / 2) ELSE round({x}) END"
        e_cols.append(
            f"CASE WHEN d.{name} > 0 THEN CAST({rounded} AS INTEGER) ELSE 0 END AS e{name}"
        )
    with_e = f"SELECT d.*, {', '.join(e_cols)} FROM ({with_x}) d{fence}"
    total = " + ".join(
        [str(int(spec.get("base", 0)))]
        + [f"e.pt{i}" for i in range(len(features))]
        + [f"e.e{name}" for name, *_ in ENGAGEMENT]
    )
    with_raw = f"SELECT e.*, {total} AS raw FROM ({with_e}) e{fence}"
    with_score = (
        "SELECT g.*, CASE WHEN g.raw < 0 THEN 0 WHEN g.raw > 100 THEN 100 ELSE g.raw END AS score "
        f"FROM ({with_raw}) g{fence}"
    )
    base_line = bulk.db_json(
        {"factor": "Starting points", "points": int(spec.get("base", 0)), "part": "base"}
    )
    # JSON text, as `leads.LeadScore` keeps it (see there why not jsonb).
    breakdown = _breakdown_text(base_line, lines)
    return (
        f"SELECT h.id, h.score, {breakdown}, sc.probability, sc.tier, h.old_score, h.old_tier "
        f"FROM ({with_score}) h JOIN {SCALE} sc ON sc.score = h.score"
    )


def _breakdown_text(base_line: str, lines: list[str]) -> str:
    """The breakdown's JSON text, the lines' texts joined."""
    parts = [_literal("[" + base_line), *(f"',' || {line}" for line in lines)]
    for name, _per, _cap, one, many in ENGAGEMENT:
        parts.append(
            f"CASE WHEN h.e{name} <> 0 THEN '," + '{"factor":"' + f"' || CAST(h.{name} AS text) || "
            f"CASE WHEN h.{name} = 1 THEN ' {one}' ELSE ' {many}' END || "
            + '\'","points":\' || '
            + f"CAST(h.e{name} AS text) || "
            + "',\"part\":\"engagement\"}' ELSE '' END"
        )
    parts.append(
        'CASE WHEN h.score <> h.raw THEN \',{"factor":"Held within 0-100","points":\' || '
        "CAST(h.score - h.raw AS text) || ',\"part\":\"cap\"}' ELSE '' END"
    )
    parts.append("']'")
    return " || ".join(parts)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _literal(text: str) -> str:
    """A string constant (the statements using it run without parameters)."""
    return "'" + text.replace("'", "''") + "'"


def _ensure_math() -> None:
    """SQLite built without its math functions gets Python's (PostgreSQL has them)."""
    if connection.vendor != "sqlite":
        return
    connection.ensure_connection()
    raw: Any = connection.connection
    try:
        raw.execute("SELECT power(0.5, 1.0), floor(1.5)")
    except Exception:
        raw.create_function("power", 2, math.pow, deterministic=True)
        raw.create_function("floor", 1, math.floor, deterministic=True)
