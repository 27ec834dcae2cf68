"""A raw row becomes the instance the ORM would have built."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadloop.accounts.models import ApiToken
from leadloop.accounts.services import create_token
from leadloop.leads.models import LeadEvent
from leadloop.lib import rows
from leadloop.lib.rows import RowLoader
from leadloop.testing import NOW, World, make_lead


def test_a_raw_row_builds_the_orm_instance(world: World) -> None:
    token, _ = create_token(user=world.marketing, now=NOW, name="raw", read_only=True)
    loader = RowLoader(ApiToken, "t", connection)
    table = connection.ops.quote_name(ApiToken._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {', '.join(loader.columns)} FROM {table} t WHERE t.id = %s",
            [token.pk],
        )
        row = cur.fetchone()
    built = loader.build(row, connection)
    orm = ApiToken.objects.get(pk=token.pk)
    assert built is not None
    names = loader.attnames
    assert [getattr(built, f) for f in names] == [getattr(orm, f) for f in names]
    # Converted as the ORM converts: an aware time (SQLite stores it naive), a real boolean.
    assert built.created_at == NOW and built.created_at.tzinfo is not None
    assert built.read_only is True
    assert not built._state.adding


def test_an_outer_join_that_found_nothing_builds_none() -> None:
    loader = RowLoader(ApiToken, "t", connection)
    assert loader.build([None] * len(loader.columns), connection) is None


def test_inserted_rows_read_back_as_written_in_batches(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    monkeypatch.setattr(rows, "MAX_PARAMS", 25)  # two event rows per statement
    events = [
        LeadEvent(lead=lead, kind="edited", at=NOW, actor=world.marketing, data={"n": n})
        for n in range(5)
    ]
    with CaptureQueriesContext(connection) as queries:
        written = rows.insert_rows(events)
    assert len(queries) == 3
    assert written == events and all(e.pk and not e._state.adding for e in events)
    stored = {e.pk: e for e in LeadEvent.objects.filter(pk__in=[e.pk for e in events])}
    assert [stored[e.pk].data for e in events] == [{"n": n} for n in range(5)]
    assert all(
        stored[e.pk].at == NOW and stored[e.pk].actor_id == world.marketing.pk for e in events
    )
