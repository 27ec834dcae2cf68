"""The sweep: breaches, warnings and escalations happen once, whoever runs it and how often."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from leadloop.accounts.choices import NotifyMode
from leadloop.accounts.models import User
from leadloop.leads.choices import EventKind
from leadloop.leads.models import Lead, LeadEvent
from leadloop.lifecycle import sla_sweep as sweep_module
from leadloop.lifecycle.activities import log_activity
from leadloop.lifecycle.sla_sweep import sla_sweep
from leadloop.notifications.choices import EmailState, NotificationKind
from leadloop.notifications.models import Notification
from leadloop.sla.choices import ClockKind, ClockResult
from leadloop.sla.models import SlaClock
from leadloop.testing import NOW, World, hand_off, make_lead


def first_contact(lead: Lead) -> SlaClock:
    return SlaClock.objects.get(lead=lead, kind=ClockKind.FIRST_CONTACT)


def events(kind: str) -> list[LeadEvent]:
    return list(LeadEvent.objects.filter(kind=kind).order_by("id"))


def test_breach_is_recorded_escalated_and_notified_once(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    due = first_contact(lead).due_at
    assert sla_sweep(now=due - timedelta(seconds=1)).breached == 0

    result = sla_sweep(now=due)
    assert (result.breached, result.escalated) == (1, 1)
    clock = first_contact(lead)
    assert clock.result == ClockResult.BREACHED
    assert clock.breached_at == due and clock.escalated_at == due
    assert clock.stopped_at is None  # still open: the lead still needs a call
    # One event says both: breached, and escalated to the team's manager.
    [breach] = events(EventKind.SLA_BREACHED)
    assert breach.lead_id == lead.pk and not events(EventKind.ESCALATED)
    assert breach.data == {
        "clock": ClockKind.FIRST_CONTACT,
        "clock_id": clock.pk,
        "to": world.a.tele_manager.pk,
    }
    notes = {
        (n.user_id, n.kind) for n in Notification.objects.exclude(kind=NotificationKind.SLA_AT_RISK)
    }
    assert notes == {
        (world.a.inside.pk, NotificationKind.SLA_BREACHED),
        (world.a.tele_manager.pk, NotificationKind.ESCALATION),
    }

    again = sla_sweep(now=due + timedelta(hours=1))
    assert (again.breached, again.escalated, again.notifications) == (0, 0, 0)
    assert len(events(EventKind.SLA_BREACHED)) == 1
    assert Notification.objects.exclude(kind=NotificationKind.SLA_AT_RISK).count() == 2


def test_contacting_a_breached_lead_closes_the_clock_as_breached(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    due = first_contact(lead).due_at
    sla_sweep(now=due)
    log_activity(
        lead=lead,
        actor=world.a.inside,
        kind="call",
        outcome="voicemail",
        now=due + timedelta(hours=1),
    )
    clock = first_contact(lead)
    assert clock.result == ClockResult.BREACHED
    assert clock.stopped_at == due + timedelta(hours=1)
    assert len(events(EventKind.SLA_BREACHED)) == 1  # not written again at the stop


def test_a_clock_met_in_time_is_never_breached(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    log_activity(lead=lead, actor=world.a.inside, kind="call", outcome="connected", now=NOW)
    assert sla_sweep(now=NOW + timedelta(days=2)).breached == 0
    assert first_contact(lead).result == ClockResult.MET


def test_at_risk_warning_comes_once_at_eighty_percent(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    clock = first_contact(lead)
    assert sla_sweep(now=clock.warn_at - timedelta(minutes=1)).warned == 0
    assert sla_sweep(now=clock.warn_at).warned == 1
    assert sla_sweep(now=clock.warn_at + timedelta(minutes=5)).warned == 0
    [warning] = events(EventKind.SLA_AT_RISK)
    assert warning.lead_id == lead.pk
    [note] = Notification.objects.filter(kind=NotificationKind.SLA_AT_RISK)
    assert note.user_id == world.a.inside.pk and note.clock_id == clock.pk


def test_a_clock_already_past_due_is_breached_not_warned(world: World) -> None:
    lead = make_lead(world.a, owner=world.a.inside)
    result = sla_sweep(now=first_contact(lead).due_at + timedelta(days=1))
    assert result.warned == 0
    # Both of the lead's clocks were due by then.
    assert result.breached == 1 or result.breached == 2
    assert not events(EventKind.SLA_AT_RISK)


def test_no_manager_means_no_escalation(world: World) -> None:
    world.a.tele.manager = None
    world.a.tele.save()
    lead = make_lead(world.a, owner=world.a.inside)
    result = sla_sweep(now=first_contact(lead).due_at)
    assert (result.breached, result.escalated) == (1, 0)
    [breach] = events(EventKind.SLA_BREACHED)
    assert "to" not in breach.data
    assert not Notification.objects.filter(kind=NotificationKind.ESCALATION).exists()
    assert first_contact(lead).escalated_at is None


def test_email_state_follows_each_users_choice(world: World) -> None:
    User.objects.filter(pk=world.a.inside.pk).update(notify_mode=NotifyMode.DIGEST)
    User.objects.filter(pk=world.a.tele_manager.pk).update(notify_mode=NotifyMode.OFF)
    lead = make_lead(world.a, owner=world.a.inside)
    sla_sweep(now=first_contact(lead).due_at)
    states = dict(Notification.objects.values_list("user_id", "email_state"))
    assert states == {world.a.inside.pk: EmailState.DIGEST, world.a.tele_manager.pk: EmailState.OFF}


def test_many_due_clocks_are_swept_in_batches(world: World) -> None:
    leads = [make_lead(world.a, owner=world.a.inside) for _ in range(5)]
    later = max(first_contact(lead).due_at for lead in leads)
    result = sla_sweep(now=later, batch_size=2)
    assert result.breached == 5 and result.batches == 3
    assert LeadEvent.objects.filter(kind=EventKind.SLA_BREACHED).count() == 5


def test_a_sweep_that_fails_halfway_leaves_whole_batches_and_reruns_cleanly(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    leads = [make_lead(world.a, owner=world.a.inside) for _ in range(4)]
    later = max(first_contact(lead).due_at for lead in leads)
    real = sweep_module._record
    calls = {"n": 0}

    def flaky(*args: Any, **kwargs: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(sweep_module, "_record", flaky)
    with pytest.raises(RuntimeError):
        sla_sweep(now=later, batch_size=2)
    # The first batch is whole; the second rolled back with its claim.
    assert (
        SlaClock.objects.filter(kind=ClockKind.FIRST_CONTACT, result=ClockResult.BREACHED).count()
        == 2
    )
    assert LeadEvent.objects.filter(kind=EventKind.SLA_BREACHED).count() == 2
    monkeypatch.setattr(sweep_module, "_record", real)
    assert sla_sweep(now=later, batch_size=2).breached == 2
    assert LeadEvent.objects.filter(kind=EventKind.SLA_BREACHED).count() == 4
    # One notification per batch for the rep, counting the leads it is about.
    counts = [
        n.data["count"] for n in Notification.objects.filter(kind=NotificationKind.SLA_BREACHED)
    ]
    assert counts == [2, 2]


def test_naive_now_is_refused(world: World) -> None:
    with pytest.raises(ValidationError, match="needs a time zone offset"):
        sla_sweep(now=NOW.replace(tzinfo=None))


def test_many_breaches_make_one_notification_per_person(world: World) -> None:
    leads = [make_lead(world.a, owner=world.a.inside) for _ in range(3)]
    later = max(first_contact(lead).due_at for lead in leads)
    sla_sweep(now=later)
    [mine] = Notification.objects.filter(kind=NotificationKind.SLA_BREACHED)
    assert mine.user_id == world.a.inside.pk
    assert mine.lead_id is None and mine.clock_id is None and mine.data == {"count": 3}
    [boss] = Notification.objects.filter(kind=NotificationKind.ESCALATION)
    assert boss.user_id == world.a.tele_manager.pk
    assert boss.data == {"count": 3, "team": world.a.tele.pk}
    # Every breach is still an event on its lead, naming whom it was escalated to.
    breaches = events(EventKind.SLA_BREACHED)
    assert sorted(e.lead_id for e in breaches) == sorted(lead.pk for lead in leads)
    assert {e.data["to"] for e in breaches} == {world.a.tele_manager.pk}


def test_a_missed_sales_sla_tells_the_inside_rep_who_produced_the_lead(world: World) -> None:
    lead = hand_off(world, make_lead(world.a, owner=world.a.inside))
    accept = SlaClock.objects.get(lead=lead, kind=ClockKind.ACCEPT, stopped_at__isnull=True)
    sla_sweep(now=accept.due_at)
    [told] = Notification.objects.filter(kind=NotificationKind.LEAD_EVENT, clock=accept)
    assert told.user_id == world.a.inside.pk and told.lead_id == lead.pk
    assert told.data == {
        "summary": "sales missed the sales accepts or rejects SLA",
        "actor": "leadloop",
    }
    # The sales rep who owes it hears of her breach; the producer is not told twice.
    assert sla_sweep(now=accept.due_at + timedelta(hours=1)).notifications == 0
    assert Notification.objects.filter(kind=NotificationKind.LEAD_EVENT, clock=accept).count() == 1


def test_many_at_risk_clocks_are_warned_in_batches_each_once(world: World) -> None:
    leads = [make_lead(world.a, owner=world.a.inside) for _ in range(5)]
    clocks = [first_contact(lead) for lead in leads]
    now = max(c.warn_at for c in clocks)
    assert now < min(c.due_at for c in clocks)
    result = sla_sweep(now=now, batch_size=2)
    assert result.warned == 5 and result.batches == 3 and result.breached == 0
    assert sla_sweep(now=now, batch_size=2).warned == 0
    assert sorted(e.lead_id for e in events(EventKind.SLA_AT_RISK)) == sorted(
        lead.pk for lead in leads
    )
