"""How report queries run on PostgreSQL: one read transaction with report-sized settings.

A report's aggregates hash a million leads against a few million clocks or
events. With the server's default work_mem (4 MB) those hashes spill to disk
in batches, and the JIT compiler spends more time (~150 ms) compiling than
the aggregates run. The default random_page_cost (4) also prices looking up
a few thousand leads by id above reading all million of them; 1.1 is the
usual value for SSD storage. All three are set for the report's own
transaction only (SET LOCAL), so the rest of the app keeps the server's.

A web process's statements are bounded by `statement_timeout`
(`WEB_STATEMENT_TIMEOUT`, config/settings.py); `timed_out` tells its
cancellation from other database errors, so a report too big for a web
request is explained, not a 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

WORK_MEM = "64MB"
# PostgreSQL's SQLSTATE for a statement cancelled, by statement_timeout among others.
QUERY_CANCELED = "57014"


def timed_out(exc: BaseException) -> bool:
    """Whether a database error is PostgreSQL cancelling a statement at its timeout."""
    return getattr(exc.__cause__, "sqlstate", None) == QUERY_CANCELED


@contextmanager
def reporting() -> Iterator[None]:
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL random_page_cost = 1.1")
        yield


@contextmanager
def merging_joins() -> Iterator[None]:
    """Within a report's transaction: join big sorted inputs by merging, not hashing.

    The SLA report joins every clock of the window (2,160,000 at 1,000,000
    leads) to its lead's campaign. Both sides can be read in lead order from
    covering indexes (sla's clock_lead_kind_cover, leads' lead_id_campaign), and
    merging them beat hashing a million leads by a third on the bench machine
    (1.3 s against 1.7-2.0 s, alternating runs), but the planner prices the
    merge above the hash. Only for the statements inside; SQLite has no say.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_hashjoin = off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_hashjoin = on")
