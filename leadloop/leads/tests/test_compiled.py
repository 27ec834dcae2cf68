"""A page compiled once per shape answers exactly what the ORM answers, for every reader."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadloop.leads import compiled
from leadloop.leads.models import Lead
from leadloop.leads.selectors import LeadFilters, filtered_leads
from leadloop.leads.wire import LEAD_VALUES
from leadloop.testing import World, make_lead


def orm(qs: Any, limit: int) -> list[dict[str, Any]]:
    return list(qs.order_by("-pk").values(*LEAD_VALUES)[:limit])


def test_each_reader_gets_her_own_rows_from_one_kept_statement(world: World) -> None:
    for side in (world.a, world.b):
        for _ in range(3):
            make_lead(side, owner=side.inside, attributes={"size": "big"})
    compiled._statements.clear()
    none = LeadFilters()
    for reader in (world.a.inside, world.b.inside, world.a.inside, world.admin):
        qs = filtered_leads(reader, none)
        rows = compiled.page_rows(qs, LEAD_VALUES, order="-pk", limit=10)
        assert rows == orm(qs, 10)
        assert rows and all(r["attributes"] == {"size": "big"} for r in rows)
        assert all(r["created_at"].tzinfo is not None for r in rows)
    # The two inside reps share a shape (only their ids differ); the admin sees everything.
    assert len(compiled._statements) == 2
    assert {
        r["owner_id"]
        for r in compiled.page_rows(
            filtered_leads(world.b.inside, none), LEAD_VALUES, order="-pk", limit=10
        )
    } == {world.b.inside.pk}


def test_filters_and_a_cursor_change_the_rows_not_the_answer(world: World) -> None:
    leads = [make_lead(world.a, owner=world.a.inside) for _ in range(4)]
    compiled._statements.clear()
    for cursor in (None, leads[2].pk, leads[1].pk):
        qs = filtered_leads(world.admin, LeadFilters(stage="new,working", owner=world.a.inside.pk))
        if cursor is not None:
            qs = qs.filter(pk__lt=cursor)
        assert compiled.page_rows(qs, LEAD_VALUES, order="-pk", limit=3) == orm(qs, 3)
    with CaptureQueriesContext(connection) as queries:
        compiled.page_rows(
            filtered_leads(world.admin, LeadFilters(owner=world.a.inside.pk)),
            LEAD_VALUES,
            order="-pk",
            limit=3,
        )
    assert len(queries) == 1


def test_a_reader_who_sees_nothing_gets_nothing_without_a_query(world: World) -> None:
    make_lead(world.a, owner=world.a.inside)
    qs = Lead.objects.filter(pk__in=[])
    with CaptureQueriesContext(connection) as queries:
        assert compiled.page_rows(qs, LEAD_VALUES, order="-pk", limit=5) == []
    assert len(queries) == 0


def test_a_query_with_more_than_filters_is_compiled_as_usual(world: World) -> None:
    make_lead(world.a, owner=world.a.inside)
    compiled._statements.clear()
    qs = filtered_leads(world.admin, LeadFilters()).distinct()
    assert compiled.page_rows(qs, LEAD_VALUES, order="-pk", limit=5) == orm(qs, 5)
    assert not compiled._statements
