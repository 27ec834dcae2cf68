"""The hot paths' fixed statements, planned once per database session (PostgreSQL).

Django binds parameters on the client, so PostgreSQL parses and plans every
statement it is sent. For the token lookup (a join and the role subquery)
planning was most of the statement's cost: measured warm on the shared
2-core machine with 100,000 leads, 0.41-0.44 ms a lookup, against 0.19-0.20
ms as a prepared statement and 0.16-0.21 ms for one plain SELECT of the
token by its digest (issue 17). So each such statement is PREPAREd the
first time a session runs it and sent as `EXECUTE name(...)` afterwards.

A prepared statement lives as long as its session (a ROLLBACK does not drop
it), so what was prepared is remembered per driver connection: a reconnect
prepares again. The PREPARE goes to the driver directly, outside Django's
query log, as it is once per session, not per request (the pinned query
counts count requests). Other databases run the statement as it is. This
needs the session to be the process's own: a pooler that hands sessions
around per transaction (PgBouncer's transaction mode) would lose the
statements; leadloop connects to PostgreSQL directly.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any
from weakref import WeakKeyDictionary

from django.db.backends.base.base import BaseDatabaseWrapper

_PARAM = re.compile(r"%s")
# Driver connection -> the names prepared in its session.
_prepared: WeakKeyDictionary[Any, set[str]] = WeakKeyDictionary()


@cache
def _numbered(sql: str) -> tuple[str, int]:
    """`sql` with its `%s` placeholders as PostgreSQL's $1, $2, ...; and how many."""
    count = 0

    def number(_: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return f"${count}"

    return _PARAM.sub(number, sql), count


def prepared(conn: BaseDatabaseWrapper, name: str, sql: str) -> str:
    """The SQL that runs `sql` (with `%s` placeholders) on `conn`, taking the same parameters.

    On PostgreSQL `EXECUTE name(%s, ...)`, the statement prepared in this
    session first if it is not yet; elsewhere `sql` itself. `name` must be
    unique to `sql` in the process.
    """
    if conn.vendor != "postgresql":
        return sql
    conn.ensure_connection()
    driver = conn.connection
    done = _prepared.get(driver)
    if done is None:
        done = _prepared[driver] = set()
    numbered, count = _numbered(sql)
    if name not in done:
        driver.execute(f"PREPARE {name} AS {numbered}")
        done.add(name)
    return f"EXECUTE {name}({', '.join(['%s'] * count)})" if count else f"EXECUTE {name}"
