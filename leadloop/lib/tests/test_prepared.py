"""Hot statements prepared once per session on PostgreSQL, run as they are elsewhere."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from leadloop.lib.prepared import prepared

SQL = "SELECT %s::int + %s::int" if connection.vendor == "postgresql" else "SELECT %s + %s"


def run(name: str) -> int:
    with connection.cursor() as cur:
        cur.execute(prepared(connection, name, SQL), [2, 3])
        (value,) = cur.fetchone()
    return int(value)


@pytest.mark.django_db
def test_a_prepared_statement_gives_the_statements_answer() -> None:
    with CaptureQueriesContext(connection) as queries:
        assert run("leadloop_test_sum") == 5
        assert run("leadloop_test_sum") == 5
    # Per request only the statement itself is sent (the PREPARE, once per session, is not logged).
    assert len(queries) == 2
    if connection.vendor == "postgresql":
        assert queries[0]["sql"].startswith("EXECUTE leadloop_test_sum(")
    else:
        assert queries[0]["sql"].startswith("SELECT")


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's PREPARE")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_survives_a_rollback_and_is_prepared_again_after_a_reconnect() -> None:
    transaction.set_autocommit(False)
    try:
        assert run("leadloop_test_rollback") == 5  # prepared inside the transaction
        transaction.rollback()
    finally:
        transaction.set_autocommit(True)
    assert run("leadloop_test_rollback") == 5  # a ROLLBACK does not drop it
    connection.close()
    assert run("leadloop_test_rollback") == 5  # a new session prepares it again
