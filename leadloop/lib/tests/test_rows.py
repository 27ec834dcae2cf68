"""A raw row becomes the instance the ORM would have built."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from leadloop.accounts.models import ApiToken
from leadloop.accounts.services import create_token
from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead, LeadEvent
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


def _same(fast: Any, orm: Any) -> bool:
    """The same value of the same type; JSON wrappers (new objects each time) by their content."""
    if type(fast) is not type(orm):
        return False
    if hasattr(orm, "obj"):  # psycopg's Jsonb
        return bool(fast.obj == orm.obj)
    return bool(fast == orm)


SAMPLES: tuple[Any, ...] = (
    None,
    "",
    "text",
    "12",
    Stage.NEW,
    0,
    7,
    2**40,
    True,
    False,
    NOW,
    date(2026, 11, 17),
    Decimal("1234.50"),
    1.5,
    {},
    {"fleet": 12},
    [1, 2],
)


# A date given to a date-time column is taken as a naive midnight, with Django's warning.
@pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime:RuntimeWarning")
def test_every_columns_value_is_prepared_as_the_orm_prepares_it() -> None:
    """The shortcut of `value_preparer` gives the ORM's answer, value and type, on this database."""
    conn = connections["default"]
    checked = 0
    for model in apps.get_models():
        if not model.__module__.startswith("leadloop."):
            continue
        for field in model._meta.concrete_fields:
            prepare = rows.value_preparer(field)
            for value in SAMPLES:
                try:
                    orm = field.get_db_prep_save(value, connection=conn)
                except (TypeError, ValueError, ValidationError, InvalidOperation):
                    continue  # not a value this column takes
                assert _same(prepare(value, conn), orm), (model.__name__, field.name, value)
                checked += 1
    assert checked > 1000


def test_the_hot_columns_take_the_shortcut() -> None:
    """Text, numbers, flags, times and references skip the ORM's chain of calls (a Django
    upgrade that changed how those fields prepare would send them the long way)."""
    names = {
        name: rows.value_preparer(Lead._meta.get_field(name)).__name__
        for name in ("email", "dials", "created_at", "campaign", "next_touch_on")
    }
    assert names == {
        "email": "text",
        "dials": "number",
        "created_at": "moment",
        "campaign": "reference",
        "next_touch_on": "day",
    }
    assert rows.value_preparer(Lead._meta.get_field("attributes")).__name__ == "orm"
