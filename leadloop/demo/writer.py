"""Writing the seeder's rows in bulk: COPY on PostgreSQL, executemany on SQLite.

Primary keys are allocated by the seeder (max(id)+1 per table) so a lead's
events and activities can point at it before anything is written. Each batch
is one transaction: an interrupted seed leaves whole leads only, and after
each batch the PostgreSQL sequences are moved past the ids written, so the
app's own inserts carry on without clashing once the seed is done (the
seeder expects no other writers while it runs).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Max

from leadloop.demo.cadences import RUN_FIELDS, TASK_FIELDS
from leadloop.demo.clocks import CLOCK_FIELDS, NOTIFICATION_FIELDS
from leadloop.demo.simulation import (
    ACTIVITY_FIELDS,
    EVENT_FIELDS,
    HANDOFF_FIELDS,
    LEAD_FIELDS,
    Stamp,
)
from leadloop.followup.models import CadenceRun, CadenceTask
from leadloop.handoff.models import Handoff
from leadloop.leads.models import Lead, LeadEvent
from leadloop.notifications.models import Notification
from leadloop.outreach.models import Activity
from leadloop.sla.models import SlaClock

# Parents first: the foreign keys are deferred, but reading order matters to no one else.
TABLES: dict[str, tuple[type[models.Model], Sequence[str]]] = {
    "lead": (Lead, LEAD_FIELDS),
    "handoff": (Handoff, HANDOFF_FIELDS),
    "activity": (Activity, ACTIVITY_FIELDS),
    "event": (LeadEvent, EVENT_FIELDS),
    "clock": (SlaClock, CLOCK_FIELDS),
    "notification": (Notification, NOTIFICATION_FIELDS),
    "cadence_run": (CadenceRun, RUN_FIELDS),
    "cadence_task": (CadenceTask, TASK_FIELDS),
}


class SchemaChanged(RuntimeError):
    """A model gained a required column the seeder does not fill."""


def columns(model: type[models.Model], fields: Sequence[str]) -> list[str]:
    """The database columns for `fields`, checked against the model as it is now.

    Another app may add a column; a nullable one or one with a database
    default is left to the database, a required one stops the seed with its name.
    """
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    unknown = [name for name in fields if name not in by_attname]
    if unknown:
        raise SchemaChanged(f"{model.__name__} has no field(s) {', '.join(unknown)}")
    missing = [
        f.name
        for attname, f in by_attname.items()
        if attname not in fields and not f.null and f.db_default is models.NOT_PROVIDED
    ]
    if missing:
        raise SchemaChanged(
            f"{model.__name__} has required field(s) the demo seeder does not fill: "
            f"{', '.join(missing)}; teach leadloop/demo/simulation.py about them."
        )
    return [str(by_attname[name].column) for name in fields]


def next_ids() -> dict[str, int]:
    """The first free primary key of each table the seeder writes."""
    return {
        name: (model._default_manager.aggregate(m=Max("pk"))["m"] or 0) + 1
        for name, (model, _) in TABLES.items()
    }


class BulkWriter:
    """Writes batches of row tuples, one transaction per batch, from any thread.

    Each thread uses its own connection (Django's are per thread).
    """

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self._sequences: dict[str, int] = {}
        self._sequences_lock = threading.Lock()
        self.statements: dict[str, str] = {}
        quote = connection.ops.quote_name
        for name, (model, fields) in TABLES.items():
            cols = ", ".join(quote(c) for c in columns(model, fields))
            table = quote(model._meta.db_table)
            if self.postgres:
                self.statements[name] = f"COPY {table} ({cols}) FROM STDIN"
            else:
                marks = ", ".join("?" * len(fields))
                # Identifiers come from the models, quoted; values are parameters.
                self.statements[name] = f"INSERT INTO {table} ({cols}) VALUES ({marks})"  # noqa: S608

    def write(
        self,
        batch: dict[str, list[tuple[Any, ...]]],
        *,
        before_commit: Callable[[], None] | None = None,
    ) -> None:
        """Write one batch in one transaction; `before_commit` may hold the commit back."""
        with transaction.atomic():
            connection.ensure_connection()
            raw: Any = connection.connection
            for name in TABLES:
                rows = batch.get(name)
                if rows:
                    if self.postgres:
                        self._copy(raw, self.statements[name], rows)
                    else:
                        raw.executemany(self.statements[name], rows)
            if self.postgres:
                self._move_sequences(raw, batch)
            if before_commit is not None:
                before_commit()

    @staticmethod
    def _copy(raw: Any, statement: str, rows: Iterable[tuple[Any, ...]]) -> None:
        with raw.cursor() as cur, cur.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

    def _move_sequences(self, raw: Any, batch: dict[str, list[tuple[Any, ...]]]) -> None:
        """Sequences to the last id written, never back: batches may commit out of order.

        setval is not transactional; a batch that then rolls back leaves a gap only.
        """
        with self._sequences_lock, raw.cursor() as cur:
            for name, (model, _) in TABLES.items():
                rows = batch.get(name)
                # Not the last row's id: clocks are written when they stop, out of id order.
                top = max((row[0] for row in rows), default=0) if rows else 0
                if top > self._sequences.get(name, 0):
                    cur.execute(
                        "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                        [model._meta.db_table, top],
                    )
                    self._sequences[name] = top


def timestamp_formatter(postgres: bool) -> Stamp:
    """Epoch seconds -> the text each database reads for a timestamp column.

    SQLite (as Django stores it): naive UTC "YYYY-MM-DD HH:MM:SS". PostgreSQL:
    the same with "+00". Formatting is a visible share of the seeder's time at
    millions of rows, so the hour's text is cached and "MM:SS" looked up.
    """
    suffix = "+00" if postgres else ""
    within = [f"{m:02d}:{s:02d}{suffix}" for m in range(60) for s in range(60)]
    hours: dict[int, str] = {}

    def stamp(ts: int) -> str:
        hour, rest = divmod(ts, 3600)
        prefix = hours.get(hour)
        if prefix is None:
            prefix = hours[hour] = time.strftime("%Y-%m-%d %H:", time.gmtime(hour * 3600))
        return prefix + within[rest]

    return stamp
