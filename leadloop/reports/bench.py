"""How long each report takes, next to the plainest SQL over the same rows.

`measure_reports` runs every report with its default filters (the last 365
days, read by an admin) and, beside it, one raw aggregate that reads the
same rows grouped the same way but computes nothing else. The baseline is
what the database needs at least to look at that data; the report's time
over it is the price of its definitions, links and medians.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from leadloop.campaigns.models import Campaign
from leadloop.handoff.models import Handoff
from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead, LeadEvent
from leadloop.leads.states import CLOSED_STAGES, OPEN_STAGES
from leadloop.reports import registry
from leadloop.reports.db import reporting
from leadloop.reports.filters import ReportFilters, window
from leadloop.reports.funnel import LATE as LATE_STEPS
from leadloop.reports.scope import Viewer
from leadloop.sla.models import SlaClock

Baseline = Callable[[datetime, datetime], str]


def _in(values: Any) -> str:
    return ", ".join(f"'{v}'" for v in sorted(str(x) for x in values))


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _t(moment: datetime) -> str:
    """A timestamp literal as the database stores them (SQLite: naive UTC text)."""
    if _pg():
        return f"'{moment.isoformat()}'"
    return f"'{moment.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S')}'"


def _month(column: str) -> str:
    return f"date_trunc('month', {column})" if _pg() else f"strftime('%Y-%m', {column})"


def _each_grouped(table: str, where: str, columns: list[str]) -> str:
    """One count per value of each column: GROUPING SETS, or a UNION on SQLite."""
    if _pg():
        sets = ", ".join(f"({c})" for c in columns)
        return (
            f"SELECT {', '.join(columns)}, count(*) FROM {table} WHERE {where} "  # noqa: S608
            f"GROUP BY GROUPING SETS ({sets})"
        )
    return " UNION ALL ".join(
        f"SELECT '{c}', {c}, count(*) FROM {table} WHERE {where} GROUP BY {c}"  # noqa: S608
        for c in columns
    )


LEAD = Lead._meta.db_table
CLOCK = SlaClock._meta.db_table
EVENT = LeadEvent._meta.db_table
CAMPAIGN = Campaign._meta.db_table
HANDOFF = Handoff._meta.db_table

# Table names come from the models, values are generated here: no user input.
BASELINES: dict[str, Baseline] = {
    "sla": lambda start, end: (
        f"SELECT c.kind, l.campaign_id, c.user_id, c.team_id, count(*) "  # noqa: S608
        f"FROM {CLOCK} c JOIN {LEAD} l ON l.id = c.lead_id "
        f"WHERE c.started_at >= {_t(start)} AND c.started_at < {_t(end)} GROUP BY 1, 2, 3, 4"
    ),
    "aging": lambda start, end: (
        f"SELECT stage, team_id, count(*) FROM {LEAD} "  # noqa: S608
        f"WHERE stage IN ({_in(OPEN_STAGES)}) GROUP BY 1, 2"
    ),
    "sales-accountability": lambda start, end: (
        f"SELECT user_id, kind, count(*) FROM {CLOCK} "  # noqa: S608
        f"WHERE kind IN ('accept', 'meeting_outcome', 'feedback') "
        f"AND started_at >= {_t(start)} AND started_at < {_t(end)} GROUP BY 1, 2"
    ),
    "teleprospectors": lambda start, end: (
        f"SELECT owner_id, handed_off_by_id, stage, count(*), sum(dials), sum(emails), "  # noqa: S608
        f"sum(connects) FROM {LEAD} WHERE created_at >= {_t(start)} AND created_at < {_t(end)} "
        f"GROUP BY 1, 2, 3"
    ),
    "campaigns": lambda start, end: (
        f"SELECT campaign_id, count(*), sum(amount), sum(revenue) FROM {LEAD} "  # noqa: S608
        f"WHERE created_at >= {_t(start)} AND created_at < {_t(end)} GROUP BY 1"
    ),
    # The funnel's later steps are stage changes in the history: the plainest
    # aggregate over the same rows counts the cohort's leads by channel and, per
    # lead, its stage-change events of those steps in the window.
    "funnel": lambda start, end: (
        f"SELECT c.channel, count(*), count(l.handed_off_at), sum(e.n) FROM {LEAD} l "  # noqa: S608
        f"JOIN {CAMPAIGN} c ON c.id = l.campaign_id LEFT JOIN (SELECT lead_id, count(*) AS n "
        f"FROM {EVENT} WHERE action IN ({_in(s.action for s in LATE_STEPS)}) "
        f"AND at >= {_t(start)} GROUP BY lead_id) e ON e.lead_id = l.id "
        f"WHERE l.created_at >= {_t(start)} AND l.created_at < {_t(end)} GROUP BY 1"
    ),
    "reasons": lambda start, end: (
        f"SELECT stage, reason_code_id, owner_id, sales_rep_id, campaign_id, "  # noqa: S608
        f"{_month('stage_changed_at')}, count(*) FROM {LEAD} "
        f"WHERE stage IN ({_in([Stage.DISQUALIFIED, Stage.DISQUALIFIED_BY_SALES, Stage.LOST])}) "
        f"AND stage_changed_at >= {_t(start)} AND stage_changed_at < {_t(end)} "
        f"GROUP BY 1, 2, 3, 4, 5, 6"
    ),
    "unreachable": lambda start, end: _each_grouped(
        LEAD,
        f"created_at >= {_t(start)} AND created_at < {_t(end)} AND stage IN ({_in(CLOSED_STAGES)})",
        ["industry", "country", "revenue_band", "title"],
    ),
}


def _timed(run: Callable[[], object], repeat: int) -> float:
    """The best of `repeat` runs: the others waited for the machine, not the query."""
    best = float("inf")
    for _ in range(max(repeat, 1)):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def _run_sql(sql: str) -> None:
    with reporting(), connection.cursor() as cursor:
        cursor.execute(sql)
        cursor.fetchall()


def measure_reports(*, repeat: int = 3) -> dict[str, dict[str, Any]]:
    """Seconds per report (default filters, last 365 days, everything visible) and its
    baseline: {name: {"seconds", "baseline_seconds", "baseline_sql"}}.

    Each report and its baseline run `repeat` times, alternating, and the best
    run counts, so both see the same warm cache.
    """
    if _pg():
        # After a bulk load autovacuum vacuums the new rows within a minute or so,
        # which marks their pages all-visible; this stands for it. Without it the
        # reports' covering indexes (leads 0013) still send every row to the
        # table, and the times are those of a database no production one is.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
    now = timezone.now()
    viewer = Viewer.everything()
    filters = ReportFilters()
    win = window(filters, now=now, tz=viewer.tz)
    assert win.start is not None and win.end is not None
    results: dict[str, dict[str, Any]] = {}
    for name in registry.REPORTS:
        sql = BASELINES[name](win.start, win.end)
        report_best = baseline_best = float("inf")

        def report(name: str = name) -> None:
            registry.run(name, viewer, filters, now=now)

        def baseline(sql: str = sql) -> None:
            _run_sql(sql)

        for _ in range(max(repeat, 1)):
            report_best = min(report_best, _timed(report, 1))
            baseline_best = min(baseline_best, _timed(baseline, 1))
        results[name] = {
            "seconds": round(report_best, 4),
            "baseline_seconds": round(baseline_best, 4),
            "baseline_sql": sql,
        }
    return results
