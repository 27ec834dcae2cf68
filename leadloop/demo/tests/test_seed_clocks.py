"""The demo's SLA clocks: met, at risk and breached, as the services and the sweep make them."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from leadloop.leads.choices import EventKind
from leadloop.leads.models import Lead, LeadEvent
from leadloop.lifecycle.sla_sweep import sla_sweep
from leadloop.notifications.models import Notification
from leadloop.sla import rules
from leadloop.sla.choices import ClockResult
from leadloop.sla.models import SlaClock
from leadloop.sla.selectors import clock_state
from leadloop.tick.services import run_tick

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # a Tuesday

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded() -> None:
    from leadloop.demo.seed import seed_demo

    seed_demo(leads=2500, seed=41, now=NOW)


def test_clocks_of_every_state(seeded: None) -> None:
    states = Counter(clock_state(c, NOW) for c in SlaClock.objects.all())
    assert min(states["met"], states["breached"], states["running"], states["at_risk"]) > 0
    assert states["cancelled"] > 0  # duplicates


def test_open_clocks_are_the_stages(seeded: None) -> None:
    open_by_lead: dict[int, set[str]] = {}
    for lead_id, kind in SlaClock.objects.filter(stopped_at__isnull=True).values_list(
        "lead_id", "kind"
    ):
        open_by_lead.setdefault(lead_id, set()).add(kind)
    for lead in Lead.objects.only("id", "stage", "first_contact_at"):
        expected = set(rules.clocks_for(lead.stage))
        if lead.first_contact_at is not None:
            expected.discard("first_contact")
        assert open_by_lead.get(lead.pk, set()) == expected, (lead.pk, lead.stage)


def test_every_breach_has_one_event_naming_its_escalation(seeded: None) -> None:
    breached = SlaClock.objects.filter(result=ClockResult.BREACHED)
    assert breached.exists()
    events = Counter(
        e["data"]["clock_id"]
        for e in LeadEvent.objects.filter(kind=EventKind.SLA_BREACHED).values("data")
    )
    assert events == Counter({c.pk: 1 for c in breached})
    assert not breached.filter(breached_at__isnull=True).exists()
    assert not breached.filter(escalated_at__isnull=True).exists()  # every demo team has a manager
    escalated_to = {
        e["data"].get("to")
        for e in LeadEvent.objects.filter(kind=EventKind.SLA_BREACHED).values("data")
    }
    assert None not in escalated_to
    assert not LeadEvent.objects.filter(kind=EventKind.ESCALATED).exists()
    # Recent news is in the inboxes; older news was read.
    assert Notification.objects.filter(read_at__isnull=True).exists()
    assert Notification.objects.filter(read_at__isnull=False).exists()


def test_a_tick_at_seed_time_finds_nothing_new_and_later_breaches_once(seeded: None) -> None:
    assert sla_sweep(now=NOW).breached == 0
    later = NOW + timedelta(days=3)
    due = SlaClock.objects.filter(result="", due_at__lte=later).count()
    assert due > 0
    first = run_tick(now=later)
    assert first.sweep.breached == due
    assert first.sweep.escalated == due
    assert run_tick(now=later).sweep.breached == 0
