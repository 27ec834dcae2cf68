"""`leadloop tick --now`: breaches, escalations and notifications exactly once."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from leadloop.leads.choices import EventKind
from leadloop.leads.models import LeadEvent
from leadloop.notifications.models import Notification
from leadloop.sla.choices import ClockKind
from leadloop.sla.models import SlaClock
from leadloop.testing import World, make_lead


def tick(*args: str) -> dict[str, object]:
    out = StringIO()
    call_command("tick", *args, "--json", stdout=out)
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def test_tick_at_a_given_time_breaches_once(world: World, settings: object) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    due = SlaClock.objects.get(lead=lead, kind=ClockKind.FIRST_CONTACT).due_at
    at = (due + timedelta(minutes=1)).isoformat()

    first = tick("--now", at)
    assert first["sla_breached"] == 1 and first["sla_escalated"] == 1
    assert first["sla_notifications"] == 2
    # The inside rep and her manager chose immediate email (the default).
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [world.a.inside.email, world.a.tele_manager.email]
    )
    assert any("SLA breached" in m.subject for m in mail.outbox)

    second = tick("--now", at)
    assert second["sla_breached"] == 0 and second["sla_notifications"] == 0
    [breach] = LeadEvent.objects.filter(kind=EventKind.SLA_BREACHED)
    assert breach.data["to"] == world.a.tele_manager.pk  # escalated, in the same event
    assert Notification.objects.exclude(kind="sla_at_risk").count() == 2
    assert len(mail.outbox) == 2


def test_tick_prints_a_summary(world: World) -> None:
    out = StringIO()
    call_command("tick", "--now", "2026-11-17T10:00:00+01:00", stdout=out)
    # Time once: the tick works in UTC, whatever offset --now was typed with.
    assert out.getvalue().startswith("Tick at 2026-11-17T09:00:00Z: 0 breached")


@pytest.mark.parametrize("bad", ["yesterday", "2026-11-17T10:00:00"])
def test_tick_refuses_a_bad_now(world: World, bad: str) -> None:
    with pytest.raises(CommandError, match="--now"):
        call_command("tick", "--now", bad)
