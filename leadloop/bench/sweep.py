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

from leadloop.bench.copies import add_running_clocks, copy_leads, stored
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


def add_open_leads(*, count: int, now: datetime) -> dict[str, int]:
    """`count` working leads copied from a seeded one, each with a running conclude clock."""
    owned = Lead.objects.filter(owner__isnull=False).order_by("pk").values_list("pk", flat=True)
    template = owned.filter(stage__in=[Stage.NEW, Stage.WORKING]).first() or owned.first()
    if template is None:
        raise ImproperlyConfigured("the sweep bench needs a seeded lead with an owner")
    with transaction.atomic():
        first = copy_leads(
            count=count,
            label="sweep",
            created=now - timedelta(days=2),
            template=template,
            columns={"last_name": "'Sweep' || g.n"},
        )
        add_running_clocks(
            first=first,
            kind=ClockKind.CONCLUDE.value,
            due_every=DUE_EVERY,
            due_past=now - timedelta(hours=1),
            due_later=now + timedelta(days=3),
            warn_past=now - timedelta(hours=3),
            warn_later=now + timedelta(days=2),
        )
    with connection.cursor() as cur:
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
                [stored(now), stored(now)],
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
