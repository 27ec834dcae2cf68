"""Two connections at once, on PostgreSQL: row locks and advisory locks hold."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections, transaction

from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead
from leadloop.leads.states import TransitionNotAllowed
from leadloop.lifecycle.intake import create_lead
from leadloop.lifecycle.transitions import lead_transition
from leadloop.testing import NOW, World, make_lead

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    # Real commits (threads need them); the migrations' reference data
    # (role groups, reason codes, BANT) is restored after each test.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def in_thread(fn: Callable[[], Any], results: dict[str, Any], name: str) -> threading.Thread:
    def run() -> None:
        try:
            results[name] = fn()
        except Exception as exc:
            results[name] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_two_transitions_on_one_lead_are_serialized(tworld: World) -> None:
    lead = make_lead(tworld.a, owner=tworld.a.inside)
    lead_transition(lead=lead, action="start_work", actor=tworld.a.inside, now=NOW)
    first_holds_lock = threading.Event()
    results: dict[str, Any] = {}

    def first() -> float:
        with transaction.atomic():
            lead_transition(
                lead=lead.pk,
                action="disqualify",
                actor=tworld.a.inside,
                now=NOW,
                data={"reason_code": "no_need"},
            )
            first_holds_lock.set()
            time.sleep(0.5)
        return time.monotonic()

    def second() -> float:
        first_holds_lock.wait(5)
        lead_transition(lead=lead.pk, action="mark_unreachable", actor=tworld.a.inside, now=NOW)
        return time.monotonic()

    threads = [in_thread(first, results, "first"), in_thread(second, results, "second")]
    for t in threads:
        t.join(10)
    assert isinstance(results["first"], float), results["first"]
    # The second waited for the first to commit, then saw the new stage.
    assert isinstance(results["second"], TransitionNotAllowed), results["second"]
    assert "disqualified" in str(results["second"])
    lead.refresh_from_db()
    assert lead.stage == Stage.DISQUALIFIED
    assert lead.events.filter(kind="transition").count() == 2


def test_two_intakes_of_one_person_make_one_lead(tworld: World) -> None:
    barrier = threading.Barrier(2)
    results: dict[str, Any] = {}

    def submit() -> bool:
        barrier.wait(5)
        return create_lead(
            data={"email": "same@person.example", "first_name": "Sam"},
            campaign=tworld.a.campaign,
            actor=None,
            now=NOW,
        ).created

    threads = [in_thread(submit, results, "x"), in_thread(submit, results, "y")]
    for t in threads:
        t.join(10)
    assert sorted([results["x"], results["y"]]) == [False, True]
    assert Lead.objects.filter(email_key="same@person.example").count() == 1
