"""Many leads at once for the bench, made in SQL on the server from seeded ones.

A series joined to seeded leads makes a million rows in seconds where the
seeder would take many minutes. Every part that needs open leads at scale
(the sweep, the queue page, rescoring) copies them here, so the columns a
copy must not share with its template (ids, person keys, the stage and what
hangs on it) are listed once, and every time is written as the ORM writes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead
from leadloop.sla.models import SlaClock


def series() -> str:
    """Rows g(n) = 1..%(count)s: generate_series on PostgreSQL, a recursive CTE on SQLite."""
    if connection.vendor == "postgresql":
        return "generate_series(1, %(count)s) AS g(n)"
    return (
        "(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < %(count)s) "
        "SELECT n FROM s) AS g"
    )


def stored(value: Any) -> Any:
    """A parameter as the database stores it: an aware time as the ORM writes it (naive
    UTC text on SQLite, where a time with an offset would sort apart from the ORM's)."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def _copied(label: str) -> dict[str, str]:
    """What a copy must not share with its template: its id, its person and what its
    stage hangs on. `g.n` is the copy's number, `%(before)s` the last id before it."""
    email = f"'{label}' || g.n || '@bench.example'"
    return {
        "id": "%(before)s + g.n",
        "email": email,
        "email_key": email,
        "phone_key": "''",
        "person_key": f"'{label}|' || g.n",
        "stage": f"'{Stage.WORKING.value}'",
        "closed_at": "NULL",
        "sales_rep_id": "NULL",
        "handed_off_by_id": "NULL",
        "duplicate_of_id": "NULL",
        "previous_lead_id": "NULL",
        "reason_code_id": "NULL",
        "claimed_by_id": "NULL",
        "claimed_until": "NULL",
        "version": "1",
    }


def copy_leads(
    *,
    count: int,
    label: str,
    created: datetime | None = None,
    template: int | None = None,
    columns: Mapping[str, str] | None = None,
    params: Mapping[str, Any] | None = None,
) -> int:
    """`count` working leads, copies of lead `template` (or of the seeded leads in turn);
    the first new id (the copies' ids follow it without a gap).

    `label` makes each copy's email and person key its own; `created` dates
    them (else they keep their template's times). `columns` overrides a
    column's SQL expression (over the template `t` and the copy's number
    `g.n`), with `params` its %(name)s parameters, times adapted here.
    """
    quote = connection.ops.quote_name
    table = quote(Lead._meta.db_table)
    seeded = Lead.objects.count()
    if not seeded:
        raise ImproperlyConfigured("the bench needs seeded leads to copy")
    first = (Lead.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    made = _copied(label)
    if created is not None:
        made.update(created_at="%(created)s", updated_at="%(created)s")
        made["stage_changed_at"] = "%(created)s"
    made.update(columns or {})
    names = [str(f.column) for f in Lead._meta.concrete_fields]
    listed = ", ".join(quote(c) for c in names)
    values = ", ".join(made.get(c, f"t.{quote(c)}") for c in names)
    if template is not None:
        source = f"{table} t, {series()} WHERE t.id = %(template)s"
    else:
        source = (
            f"(SELECT id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS rn FROM {table}) s "  # noqa: S608
            f"JOIN {table} t ON t.id = s.id JOIN {series()} ON s.rn = g.n %% %(seeded)s"
        )
    bound = {k: stored(v) for k, v in (params or {}).items()}
    bound.update(
        count=count, before=first - 1, template=template, seeded=seeded, created=stored(created)
    )
    with connection.cursor() as cur:
        # Column names come from the model; the values are parameters or constants.
        cur.execute(f"INSERT INTO {table} ({listed}) SELECT {values} FROM {source}", bound)  # noqa: S608
        if connection.vendor == "postgresql":
            # The ids were given explicitly: move the sequence past them.
            cur.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM "  # noqa: S608
                f"{table}))",
                [Lead._meta.db_table],
            )
    return first


def add_running_clocks(
    *,
    first: int,
    kind: str,
    due_every: int,
    due_past: datetime,
    due_later: datetime,
    warn_past: datetime,
    warn_later: datetime,
) -> None:
    """A running clock of `kind` on every lead from id `first` on, owed by its owner:
    past due (and past its warning) on one lead in `due_every`, later on the rest."""
    params = {
        "first": first,
        "kind": kind,
        "every": due_every,
        "due_past": stored(due_past),
        "due_later": stored(due_later),
        "warn_past": stored(warn_past),
        "warn_later": stored(warn_later),
    }
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {SlaClock._meta.db_table} (lead_id, kind, team_id, user_id, "  # noqa: S608
            "started_at, due_at, warn_at, result, stopped_by) "
            "SELECT id, %(kind)s, team_id, owner_id, created_at, "
            "CASE WHEN id %% %(every)s = 0 THEN %(due_past)s ELSE %(due_later)s END, "
            "CASE WHEN id %% %(every)s = 0 THEN %(warn_past)s ELSE %(warn_later)s END, '', '' "
            f"FROM {Lead._meta.db_table} WHERE id >= %(first)s",
            params,
        )
