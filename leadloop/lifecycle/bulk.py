"""Writing many rows at once inside an action: ids first, then one COPY (or executemany).

The set-based actions (an import of a hundred thousand rows) need a lead's
id before the lead is written, so its events, clocks and journal rows can
point at it in the same batch. Ids come from the table's own sequence on
PostgreSQL (one `nextval` call for the whole batch) and from max(id) on
SQLite, where the IMMEDIATE transaction already holds the only write lock.

Django's `bulk_create` would do, but it builds a model instance per row and
cannot COPY; at a hundred thousand leads with their events and clocks that
is most of the time an import takes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, models


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` fresh primary keys for `model`, reserved for this transaction."""
    if count <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cur.fetchall()]
        quoted = connection.ops.quote_name(table)
        # The table name comes from the model, quoted; there are no values here.
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {quoted}")  # noqa: S608
        top = cur.fetchone()[0]
    return list(range(top + 1, top + 1 + count))


def column_names(model: type[models.Model], fields: Sequence[str]) -> list[str]:
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    return [str(by_attname[name].column) for name in fields]


def db_time(moment: datetime | None) -> Any:
    """A UTC datetime as the database driver takes it (SQLite: Django's naive text)."""
    if moment is None or connection.vendor == "postgresql":
        return moment
    return connection.ops.adapt_datetimefield_value(moment)


def time_adapter() -> Callable[[datetime | None], Any]:
    """`db_time` with the database asked once: for loops over many rows."""
    if connection.vendor == "postgresql":
        return lambda moment: moment
    adapt = connection.ops.adapt_datetimefield_value
    return lambda moment: None if moment is None else adapt(moment)


def db_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def insert(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert rows (values in `fields` order, times through `db_time`, JSON through `db_json`)."""
    return insert_raw(model._meta.db_table, column_names(model, fields), rows)


def insert_raw(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """`insert` into a table by name (a temporary staging table has no model)."""
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    name = connection.ops.quote_name(table)
    connection.ensure_connection()
    raw: Any = connection.connection
    if connection.vendor == "postgresql":
        count = 0
        with raw.cursor() as cur, cur.copy(f"COPY {name} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    marks = ", ".join("?" * len(columns))
    rows = list(rows)
    # Identifiers come from the model or the caller's constant, quoted; values are parameters.
    raw.executemany(f"INSERT INTO {name} ({cols}) VALUES ({marks})", rows)  # noqa: S608
    return len(rows)
