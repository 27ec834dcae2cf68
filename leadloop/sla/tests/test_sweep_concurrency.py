"""Two workers sweeping at the same moment, on PostgreSQL: every breach exactly once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import pytest
from django.db import connection, connections, transaction

from leadloop.leads.choices import EventKind
from leadloop.leads.models import LeadEvent
from leadloop.lifecycle import sla_sweep
from leadloop.lifecycle.sla_sweep import sla_sweep as sweep_now
from leadloop.lifecycle.transitions import lead_transition
from leadloop.notifications.models import Notification
from leadloop.sla.choices import ClockKind
from leadloop.sla.models import SlaClock
from leadloop.testing import World, make_lead

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_two_concurrent_sweeps_breach_each_clock_once(tworld: World) -> None:
    leads = [make_lead(tworld.a, owner=tworld.a.inside) for _ in range(40)]
    now = max(
        SlaClock.objects.filter(lead__in=leads, kind=ClockKind.CONCLUDE).values_list(
            "due_at", flat=True
        )
    )
    start = threading.Barrier(2)
    results: dict[str, Any] = {}

    def worker(name: str) -> None:
        try:
            start.wait()
            results[name] = sweep_now(now=now, batch_size=3)
        except Exception as exc:  # pragma: no cover - reported below
            results[name] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("one", "two")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(isinstance(r, Exception) for r in results.values()), results

    # 40 leads x 2 clocks (first contact and conclude), shared between the workers.
    assert results["one"].breached + results["two"].breached == 80
    per_clock = Counter(
        e.data["clock_id"] for e in LeadEvent.objects.filter(kind=EventKind.SLA_BREACHED)
    )
    assert len(per_clock) == 80 and set(per_clock.values()) == {1}
    assert not LeadEvent.objects.filter(kind=EventKind.ESCALATED).exists()  # named in the breach
    assert all(
        e.data["to"] == tworld.a.tele_manager.pk
        for e in LeadEvent.objects.filter(kind=EventKind.SLA_BREACHED)
    )
    # Notifications come one per person and batch, each counting its breaches.
    told: Counter[tuple[int, str]] = Counter()
    for n in Notification.objects.exclude(kind="sla_at_risk"):
        told[(n.user_id, n.kind)] += n.data["count"]
    assert told == Counter(
        {
            (tworld.a.inside.pk, "sla_breached"): 80,
            (tworld.a.tele_manager.pk, "escalation"): 80,
        }
    )


def test_a_sweep_committing_while_a_transition_waits_does_not_deadlock(tworld: World) -> None:
    """The sweep holds a lead's clocks and, at commit, checks its events' foreign key to
    the lead; a transition holds the lead and waits for those clocks. The transition's
    lock (FOR NO KEY UPDATE) lets the check through, so both finish."""
    lead = make_lead(tworld.a, owner=tworld.a.inside)
    now = SlaClock.objects.get(lead=lead, kind=ClockKind.CONCLUDE).due_at
    claimed = threading.Event()
    errors: list[BaseException] = []

    def sweeper() -> None:
        try:
            with transaction.atomic():
                sql = sla_sweep._Sql()
                batch = sla_sweep._claim(sql, now=now, limit=10, warn=False)
                sla_sweep._record(batch, now, warn=False)
                claimed.set()
                time.sleep(1.0)  # the transition is now waiting for these clocks
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            claimed.set()
            connections.close_all()

    def mover() -> None:
        try:
            claimed.wait(10)
            lead_transition(
                lead=lead.pk,
                action="disqualify",
                actor=tworld.a.inside,
                now=now,
                data={"reason_code": "no_need"},
            )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweeper), threading.Thread(target=mover)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert LeadEvent.objects.filter(lead=lead, kind=EventKind.SLA_BREACHED).count() == 2
    assert not SlaClock.objects.filter(lead=lead, stopped_at__isnull=True).exists()
