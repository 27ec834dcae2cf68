"""The SLA report's planner setting holds for its own statements only."""

from __future__ import annotations

import pytest
from django.db import connection

from leadloop.reports.db import merging_joins, reporting


def _hash_joins() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_hashjoin")
        return str(cursor.fetchone()[0])


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL planner setting")
@pytest.mark.django_db
def test_merging_joins_turns_hash_joins_off_inside_only() -> None:
    with reporting():
        assert _hash_joins() == "on"
        with merging_joins():
            assert _hash_joins() == "off"
        assert _hash_joins() == "on"
    assert _hash_joins() == "on"
