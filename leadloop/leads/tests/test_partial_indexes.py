"""The lead indexes that hold only the leads where a column is set (leads.models._SET_ONLY
and the partial phone, sales rep and first-contact indexes): every lookup that needs
one can still use it, on both databases, and a blank or empty value is never matched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from leadloop.leads import selectors
from leadloop.leads.models import Lead
from leadloop.lib.prepared import prepared
from leadloop.testing import World, make_lead
from leadloop.web import selectors as web_selectors

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _no_table_scans() -> None:
    """PostgreSQL would rightly read a test's few rows from the table: ask it for an
    index wherever one can serve, and for the one plan a prepared statement keeps for
    every value. Transaction-local: the test's transaction ends it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET LOCAL enable_seqscan = off")
            cur.execute("SET LOCAL plan_cache_mode = force_generic_plan")


def _plan(sql: str, params: list[object]) -> str:
    word = "EXPLAIN" if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN"
    with connection.cursor() as cur:
        cur.execute(f"{word} {sql}", params)
        return "\n".join(" ".join(str(c) for c in row) for row in cur.fetchall())


@pytest.mark.parametrize(
    ("column", "index"),
    [
        ("handed_off_by", "lead_handed_off_by_set"),
        ("duplicate_of", "lead_duplicate_of_set"),
        ("previous_lead", "lead_previous_lead_set"),
        ("reason_code", "lead_reason_code_set"),
    ],
)
def test_a_reference_lookup_uses_its_partial_index(world: World, column: str, index: str) -> None:
    _no_table_scans()
    plan = Lead.objects.filter(**{f"{column}_id": 7}).explain()
    assert index in plan


def test_a_sales_reps_leads_use_the_partial_index(world: World) -> None:
    _no_table_scans()
    plan = selectors.visible_leads(world.a.sales_rep).filter(sales_rep=world.a.sales_rep).explain()
    assert "lead_sales_rep_stage" in plan


def test_the_overdue_first_contacts_use_the_partial_index(world: World) -> None:
    _no_table_scans()
    # The overdue lists' test on the lead (`web.selectors.overdue_first_contact`
    # adds their stages, which other indexes serve too).
    plan = Lead.objects.filter(first_contact_due__lt=NOW, first_contact_at__isnull=True).explain()
    assert "lead_first_contact_due" in plan


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's plan of a prepared statement"
)
def test_the_prepared_identity_read_uses_the_partial_phone_index(world: World) -> None:
    _no_table_scans()
    sql, _loader = selectors._identity_read(connection.vendor)
    params: list[object] = [None, "+16175550123", None, "duplicate", 100]
    plan = _plan(prepared(connection, "leadloop_identity_matches", sql), params)
    assert "lead_phone_key" in plan


def test_a_blank_phone_matches_nobody_and_a_phone_still_matches(world: World) -> None:
    first = make_lead(world.a, email="pat@example.com", phone="")
    Lead.objects.filter(pk=first.pk).update(phone_key="")
    assert selectors.identity_matches({"email_key": "", "phone_key": ""}).open is None
    Lead.objects.filter(pk=first.pk).update(phone_key="+16175550123")
    assert selectors.identity_matches({"phone_key": "+16175550123"}).open == first


def test_a_lead_waiting_for_its_first_contact_is_overdue_and_a_contacted_one_is_not(
    world: World,
) -> None:
    waiting = make_lead(world.a, email="wait@example.com")
    contacted = make_lead(world.a, email="done@example.com")
    due = NOW - timedelta(hours=1)
    Lead.objects.filter(pk__in=[waiting.pk, contacted.pk]).update(
        first_contact_due=due, first_contact_at=None
    )
    Lead.objects.filter(pk=contacted.pk).update(first_contact_at=due)
    overdue = set(
        web_selectors.overdue_first_contact(Lead.objects.all(), NOW).values_list("pk", flat=True)
    )
    assert waiting.pk in overdue and contacted.pk not in overdue
