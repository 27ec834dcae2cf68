"""The SLA sweep at scale: a million open leads, one in a hundred due, one sweep.

The leads and their clocks are made in SQL on the server (a series joined to
a template lead), which takes seconds rather than the minutes the seeder
would. The sweep and its baseline, the plainest UPDATE that marks the same
clocks breached, each run inside a transaction that is rolled back, so every
run sees the same due clocks; runs alternate and the median is reported.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from leadloop.bench.measures import peak_rss_mb
from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead
from leadloop.lifecycle.sla_sweep import sla_sweep
from leadloop.sla.choices import ClockKind
from leadloop.sla.models import SlaClock

RUNS = 3
SWEEP_LEADS = 1_000_000
DUE_EVERY = 100  # one lead in a hundred has a clock past due


class _Rollback(Exception):
    pass


def at(moment: datetime) -> Any:
    """A time as the database stores it (naive UTC text on SQLite), for raw SQL: an
    aware time written as text would sort apart from the ORM's on SQLite."""
    return connection.ops.adapt_datetimefield_value(moment)


def _series() -> str:
    """Rows g(n) = 1..%(count)s: generate_series on PostgreSQL, a recursive CTE on SQLite."""
    if connection.vendor == "postgresql":
        return "generate_series(1, %(count)s) AS g(n)"
    return (
        "(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < %(count)s) "
        "SELECT n FROM s) AS g"
    )


def add_open_leads(*, count: int, now: datetime) -> dict[str, int]:
    """`count` working leads copied from a seeded one, each with a running conclude clock."""
    template = (
        Lead.objects.filter(owner__isnull=False, stage__in=[Stage.NEW, Stage.WORKING])
        .order_by("pk")
        .first()
        or Lead.objects.filter(owner__isnull=False).order_by("pk").first()
    )
    if template is None:
        raise ImproperlyConfigured("the sweep bench needs a seeded lead with an owner")
    quote = connection.ops.quote_name
    fields = list(Lead._meta.concrete_fields)
    first_id = (Lead.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    made = {
        "id": f"{first_id - 1} + g.n",
        "email": "'sweep' || g.n || '@bench.example'",
        "email_key": "'sweep' || g.n || '@bench.example'",
        "phone_key": "''",
        "person_key": "'sweep|' || g.n",
        "last_name": "'Sweep' || g.n",
        "stage": f"'{Stage.WORKING.value}'",
        "created_at": "%(created)s",
        "updated_at": "%(created)s",
        "stage_changed_at": "%(created)s",
        "closed_at": "NULL",
        "sales_rep_id": "NULL",
        "handed_off_by_id": "NULL",
        "duplicate_of_id": "NULL",
        "reason_code_id": "NULL",
        "version": "1",
    }
    names = [str(f.column) for f in fields]
    columns = ", ".join(quote(c) for c in names)
    values = ", ".join(made.get(c, f"t.{quote(c)}") for c in names)
    leads, clocks = Lead._meta.db_table, SlaClock._meta.db_table
    created = now - timedelta(days=2)
    params: dict[str, Any] = {
        "template": template.pk,
        "count": count,
        "created": at(created),
        "first": first_id,
        "kind": ClockKind.CONCLUDE.value,
        "due_past": at(now - timedelta(hours=1)),
        "due_later": at(now + timedelta(days=3)),
        "warn_past": at(now - timedelta(hours=3)),
        "warn_later": at(now + timedelta(days=2)),
        "every": DUE_EVERY,
    }
    with transaction.atomic(), connection.cursor() as cur:
        # Column names come from the model and values are parameters.
        cur.execute(
            f"INSERT INTO {leads} ({columns}) SELECT {values} "  # noqa: S608
            f"FROM {leads} t, {_series()} WHERE t.id = %(template)s",
            params,
        )
        cur.execute(
            f"INSERT INTO {clocks} (lead_id, kind, team_id, user_id, started_at, due_at, "  # noqa: S608
            "warn_at, result, stopped_by) "
            "SELECT id, %(kind)s, team_id, owner_id, created_at, "
            "CASE WHEN id %% %(every)s = 0 THEN %(due_past)s ELSE %(due_later)s END, "
            "CASE WHEN id %% %(every)s = 0 THEN %(warn_past)s ELSE %(warn_later)s END, '', '' "
            f"FROM {leads} WHERE id >= %(first)s",
            params,
        )
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # The ids were given explicitly: move the sequence past them.
            cur.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM "  # noqa: S608
                f"{leads}))",
                [leads],
            )
        cur.execute("ANALYZE")
    return {
        "open_leads": count,
        "due": SlaClock.objects.filter(result="", due_at__lte=now).count(),
        "running_clocks": SlaClock.objects.filter(result="").count(),
    }


def _rolled_back(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Time `fn` inside a transaction that is then undone."""
    out: list[Any] = []
    start = time.perf_counter()
    try:
        with transaction.atomic():
            out.append(fn())
            elapsed = time.perf_counter() - start
            raise _Rollback
    except _Rollback:
        pass
    return elapsed, out[0]


def measure_sweep(*, open_leads: int = SWEEP_LEADS, runs: int = RUNS) -> dict[str, Any]:
    now = timezone.now()
    setup_start = time.perf_counter()
    data = add_open_leads(count=open_leads, now=now)
    setup = time.perf_counter() - setup_start
    clocks = SlaClock._meta.db_table

    def baseline() -> int:
        with connection.cursor() as cur:
            cur.execute(
                f"UPDATE {clocks} SET result = 'breached', breached_at = %s "  # noqa: S608
                "WHERE result = '' AND due_at <= %s",
                [now, now],
            )
            return int(cur.rowcount)

    sweeps, baselines = [], []
    breached = baseline_rows = 0
    result: dict[str, Any] = {}
    for _ in range(runs):
        seconds, count = _rolled_back(baseline)
        baselines.append(seconds)
        baseline_rows = count
        seconds, swept = _rolled_back(lambda: sla_sweep(now=now))
        sweeps.append(seconds)
        breached = swept.breached
        result = swept.as_dict()
    return {
        **data,
        "setup_seconds": round(setup, 1),
        "breached": breached,
        "baseline_rows": baseline_rows,
        "sweep": result,
        "runs_s": [round(s, 4) for s in sweeps],
        "baseline_runs_s": [round(s, 4) for s in baselines],
        "seconds": round(statistics.median(sweeps), 4),
        "baseline_seconds": round(statistics.median(baselines), 4),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
