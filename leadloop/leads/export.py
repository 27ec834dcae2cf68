"""The lead list as a table to take out: the columns an import reads back.

Streamed: the rows come from the database in chunks (a server-side cursor
on PostgreSQL) and names (campaigns, people, reason codes) are looked up
in small in-memory tables, so a million leads take the memory of one
chunk. The columns are the `leadloop` mapping of the import, so an export
imports back into an empty database as the same leads.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from leadloop.accounts.models import User
from leadloop.campaigns.models import Campaign
from leadloop.leads.models import Lead, ReasonCode
from leadloop.leads.person import PERSON_FIELDS
from leadloop.lib import sheets

COLUMNS = (
    "id",
    "created_at",
    "stage",
    *PERSON_FIELDS,
    "campaign",
    "channel",
    "owner",
    "sales_rep",
    "score",
    "score_probability",
    "tier",
    "priority",
    "reason_code",
)
_FIELDS = (
    "id",
    "created_at",
    "stage",
    *PERSON_FIELDS,
    "campaign_id",
    "owner_id",
    "sales_rep_id",
    # The lead's score row (`LeadScore`), joined: empty for a lead never scored.
    *(f"scored__{name}" for name in ("score", "score_probability", "tier")),
    "priority",
    "reason_code_id",
    "attributes",
)
CHUNK = 5000


def export_csv(leads: QuerySet[Lead]) -> Iterator[bytes]:
    """The leads as CSV (UTF-8, header first, no byte order mark), a chunk at a time.

    On PostgreSQL the database writes it (COPY ... TO STDOUT as CSV, the names
    joined in and formula-like text neutralised in SQL): a million leads
    never pass through Python row by row. Elsewhere the rows go through
    `export_leads`.
    """
    names = attribute_names(leads)
    header = [*COLUMNS, *names]
    if connection.vendor != "postgresql":
        rows = _csv_rows(_rows(leads, names), len(COLUMNS))
        for text in sheets.csv_lines(header, rows, ready=True):
            yield text.encode()
        return
    for text in sheets.csv_lines(header, []):
        yield text.encode()
    statement, params = _copy_statement(leads, names)
    connection.ensure_connection()
    raw: Any = connection.connection
    with raw.cursor() as cur, cur.copy(statement, params) as copy:
        for data in copy:
            yield bytes(data)


# `sheets.neutral` in SQL: the first characters that make a cell a formula.
_STARTS = ", ".join(
    {"\t": "E'\\t'", "\r": "E'\\r'"}.get(c, f"'{c}'") for c in sorted(sheets.FORMULA_START)
)


def _neutral_sql(expression: str) -> str:
    return (
        f"CASE WHEN left({expression}, 1) IN ({_STARTS}) "
        f"THEN '''' || {expression} ELSE {expression} END"
    )


_TEXT_COLUMNS = frozenset(
    {
        "first_name",
        "last_name",
        "title",
        "email",
        "phone",
        "company",
        "industry",
        "revenue_band",
        "region",
    }
)
_UTC = "(l.created_at AT TIME ZONE 'UTC')"
# ISO 8601 in UTC as Python writes it: the microseconds only when there are any.
_ISO_UTC = (
    f"to_char({_UTC}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN date_trunc('second', {_UTC}) "
    f"= {_UTC} THEN '' ELSE to_char({_UTC}, '.US') END || 'Z'"
)


def _copy_statement(leads: QuerySet[Lead], names: list[str]) -> tuple[str, list[Any]]:
    inner, params = leads.order_by().values(*_FIELDS).query.sql_with_params()
    quote = connection.ops.quote_name
    columns = []
    for name in COLUMNS:
        if name == "created_at":
            columns.append(_ISO_UTC)
        elif name in _TEXT_COLUMNS:
            columns.append(_neutral_sql(f"l.{quote(name)}"))
        elif name == "campaign":
            columns.append(_neutral_sql("c.name"))
        elif name == "channel":
            columns.append("c.channel")
        elif name == "owner":
            columns.append(_neutral_sql("ou.username"))
        elif name == "sales_rep":
            columns.append(_neutral_sql("su.username"))
        elif name == "reason_code":
            columns.append("r.code")
        elif f"scored__{name}" in _FIELDS:
            columns.append(f"l.{quote(f'scored__{name}')}")
        else:
            columns.append(f"l.{quote(name)}")
    # Each attribute once, in the derived table: the neutralising CASE names its column
    # three times, a parameter three times would be three parameters.
    columns += [_neutral_sql(f"l.a{i}") for i in range(len(names))]
    picked = "".join(f", x.attributes ->> %s AS a{i}" for i in range(len(names)))
    campaigns = quote(Campaign._meta.db_table)
    users = quote(User._meta.db_table)
    reasons = quote(ReasonCode._meta.db_table)
    # Names come from the models and COLUMNS, quoted; values (the list's filters,
    # the attribute names) are parameters, bound in the order they appear.
    statement = (
        f"COPY (SELECT {', '.join(columns)} "  # noqa: S608
        f"FROM (SELECT x.*{picked} FROM ({inner}) x) l "
        f"JOIN {campaigns} c ON c.id = l.campaign_id "
        f"LEFT JOIN {users} ou ON ou.id = l.owner_id "
        f"LEFT JOIN {users} su ON su.id = l.sales_rep_id "
        f"LEFT JOIN {reasons} r ON r.id = l.reason_code_id "
        "ORDER BY l.id) TO STDOUT WITH (FORMAT csv)"
    )
    return statement, [*names, *params]


@dataclass(frozen=True)
class Export:
    header: list[str]
    rows: Iterator[list[Any]]


def attribute_names(leads: QuerySet[Lead]) -> list[str]:
    """Every attribute name the leads use, sorted: one column each."""
    sql, params = leads.order_by().values("attributes").query.sql_with_params()
    if connection.vendor == "postgresql":
        query = f"SELECT DISTINCT jsonb_object_keys(t.attributes) FROM ({sql}) t"  # noqa: S608
    else:
        query = f"SELECT DISTINCT j.key FROM ({sql}) t, json_each(t.attributes) j"  # noqa: S608
    with connection.cursor() as cur:
        cur.execute(query, params)
        names = [name for (name,) in cur.fetchall() if name not in COLUMNS]
    return sorted(names, key=str.casefold)


def export_leads(leads: QuerySet[Lead]) -> Export:
    """The header and a stream of typed rows for `leads`, oldest first (for XLSX)."""
    names = attribute_names(leads)
    return Export(header=[*COLUMNS, *names], rows=_rows(leads, names))


def _rows(leads: QuerySet[Lead], names: list[str]) -> Iterator[list[Any]]:
    campaigns = {c.pk: (c.name, c.channel) for c in Campaign.objects.only("name", "channel")}
    people = dict(User.objects.values_list("pk", "username"))
    reasons = dict(ReasonCode.objects.values_list("pk", "code"))
    none = ("", "")
    for values in _fetch(leads):
        (lead_id, created_at, stage, *person, campaign_id, owner, sales_rep) = values[:17]
        score, probability, tier, priority, reason, attributes = values[17:]
        campaign, channel = campaigns.get(campaign_id, none)
        row = [
            lead_id,
            created_at,
            stage,
            *person,
            campaign,
            channel,
            people.get(owner, "") if owner else "",
            people.get(sales_rep, "") if sales_rep else "",
            score,
            probability,
            tier,
            priority,
            reasons.get(reason, "") if reason else "",
        ]
        if names:
            if isinstance(attributes, str):
                attributes = json.loads(attributes)
            get = (attributes or {}).get
            row.extend(get(name) for name in names)
        yield row


def _fetch(leads: QuerySet[Lead]) -> Iterator[tuple[Any, ...]]:
    """The rows as the driver gives them, a chunk at a time from a server-side cursor.

    Not through the ORM's value conversion: at a million rows that is the
    slower half of an export. The two columns that need it are converted in
    `_rows` (the time on SQLite, which stores text; the attributes' JSON).
    """
    sql, params = leads.order_by("pk").values_list(*_FIELDS).query.sql_with_params()
    with connection.chunked_cursor() as cur:
        cur.execute(sql, params)
        while chunk := cur.fetchmany(CHUNK):
            if connection.vendor != "postgresql":
                chunk = [(v[0], _sqlite_time(v[1]), *v[2:]) for v in chunk]
            yield from chunk


def _sqlite_time(value: Any) -> Any:
    """SQLite keeps times as naive UTC (text, or a naive datetime from the driver)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


# Columns of COLUMNS that hold text someone typed (the rest: ids, codes, numbers, a time).
_TEXT = [
    i
    for i, name in enumerate(COLUMNS)
    if name
    not in (
        "id",
        "created_at",
        "employees",
        "score",
        "score_probability",
        "tier",
        "priority",
        "stage",
        "channel",
        "country",
    )
]
_EMPLOYEES = COLUMNS.index("employees")


def _csv_rows(rows: Iterator[list[Any]], fixed: int) -> Iterator[list[Any]]:
    """Each cell as CSV text, formula-like text neutralised column by column (not cell by
    cell through `sheets.cell`: at a million rows that is most of an export's time)."""
    formula = sheets.FORMULA_START
    for row in rows:
        row[1] = row[1].isoformat().replace("+00:00", "Z")
        for i in _TEXT:
            text = row[i]
            if text and text[0] in formula:
                row[i] = "'" + text
        if row[_EMPLOYEES] is None:
            row[_EMPLOYEES] = ""
        if len(row) > fixed:
            row[fixed:] = [sheets.cell(v) for v in row[fixed:]]
        yield row
