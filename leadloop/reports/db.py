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
