"""The outbox: a message written in the transaction of every event an endpoint wants."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from leadloop.leads.choices import EventKind
from leadloop.leads.models import LeadEvent
from leadloop.lifecycle.sla_sweep import sla_sweep
from leadloop.lifecycle.tests.test_imports import csv_bytes, new_import, run, sf_row
from leadloop.lifecycle.transitions import lead_transition
from leadloop.sla.choices import ClockKind
from leadloop.sla.models import SlaClock
from leadloop.testing import NOW, World, hand_off, make_lead
from leadloop.webhooks.models import Delivery, Endpoint
from leadloop.webhooks.services import create_endpoint


@pytest.fixture(autouse=True)
def _private_ok(settings):
    settings.LEADLOOP_WEBHOOKS_ALLOW_PRIVATE = True


def endpoint(world: World, events: list[str], team=None) -> Endpoint:
    return create_endpoint(
        url="http://127.0.0.1:9/hook", events=events, owner=world.admin, team=team, now=NOW
    )[0]


def test_transitions_write_a_message_for_each_endpoint_that_wants_them(world: World) -> None:
    everything = endpoint(world, ["*"])
    handoffs = endpoint(world, ["lead.handed_off"], team=world.a.tele)
    lead = make_lead(world.a, owner=world.a.inside)
    lead_transition(lead=lead, action="start_work", actor=world.a.inside, now=NOW)
    hand_off(world, lead)
    to_all = list(Delivery.objects.filter(endpoint=everything).order_by("id"))
    types = [d.event_type for d in to_all]
    assert types[0] == "lead.created"
    assert "lead.assigned" in types
    assert "lead.stage_changed" in types
    assert types[-1] == "lead.handed_off"
    # Each is about an event of this lead, written in its transaction.
    assert all(d.lead_id == lead.pk and d.event is not None for d in to_all)
    assert {d.event.lead_id for d in to_all} == {lead.pk}
    [only] = Delivery.objects.filter(endpoint=handoffs)
    assert only.event_type == "lead.handed_off"
    assert only.event.action == "hand_off"


def test_another_teams_endpoint_hears_nothing(world: World) -> None:
    beta = endpoint(world, ["*"], team=world.b.tele)
    make_lead(world.a, owner=world.a.inside)
    assert not Delivery.objects.filter(endpoint=beta).exists()


def test_an_inactive_endpoint_gets_no_messages(world: World) -> None:
    off = endpoint(world, ["*"])
    Endpoint.objects.filter(pk=off.pk).update(is_active=False)
    make_lead(world.a, owner=world.a.inside)
    assert not Delivery.objects.exists()


def test_a_rolled_back_change_leaves_no_message(world: World) -> None:
    endpoint(world, ["*"])
    lead = make_lead(world.a, owner=world.a.inside)
    before = Delivery.objects.count()
    written = []

    def change_then_fail() -> None:
        with transaction.atomic():
            lead_transition(lead=lead, action="start_work", actor=world.a.inside, now=NOW)
            written.append(Delivery.objects.count())
            raise RuntimeError("the caller fails after the action")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert written[0] > before
    assert Delivery.objects.count() == before
    assert not LeadEvent.objects.filter(lead=lead, action="start_work").exists()


def test_without_endpoints_the_outbox_costs_one_query_per_transaction(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    with CaptureQueriesContext(connection) as queries:
        lead_transition(lead=lead, action="start_work", actor=world.a.inside, now=NOW)
    endpoint_reads = [q for q in queries if "webhooks_endpoint" in q["sql"]]
    assert len(endpoint_reads) <= 1
    assert not Delivery.objects.exists()


def test_sweep_breaches_get_their_messages_in_sql(world: World) -> None:
    wanted = endpoint(world, ["sla.breached"])
    leads = [make_lead(world.a, owner=world.a.inside) for _ in range(3)]
    due = max(
        SlaClock.objects.filter(lead__in=leads, kind=ClockKind.FIRST_CONTACT).values_list(
            "due_at", flat=True
        )
    )
    sla_sweep(now=due + timedelta(minutes=1))
    breaches = LeadEvent.objects.filter(lead__in=leads, kind=EventKind.SLA_BREACHED)
    assert breaches.count() >= 3
    messages = Delivery.objects.filter(endpoint=wanted)
    assert sorted(messages.values_list("event_id", flat=True)) == sorted(
        breaches.values_list("pk", flat=True)
    )
    assert set(messages.values_list("event_type", flat=True)) == {"sla.breached"}
    # A second sweep at the same moment writes nothing twice.
    sla_sweep(now=due + timedelta(minutes=1))
    assert Delivery.objects.filter(endpoint=wanted).count() == breaches.count()


def test_an_import_sends_one_import_finished_not_a_message_per_row(world: World) -> None:
    wanted = endpoint(world, ["import.finished", "lead.created"])
    summary = run(world, new_import(world, csv_bytes([sf_row(1), sf_row(2), sf_row(3)])))
    assert summary.created == 3
    [finished] = Delivery.objects.filter(endpoint=wanted, event_type="import.finished")
    assert finished.data["import"]["created"] == 3
    assert finished.data["import"]["file"] == "leads.csv"
    assert not Delivery.objects.filter(endpoint=wanted, event_type="lead.created").exists()
