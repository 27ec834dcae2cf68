"""Idempotency-Key answers live for a window (24 h by default); the tick deletes older ones."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from typing import Any

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadloop.api.idempotency import run_once
from leadloop.api.models import IdempotentRequest
from leadloop.testing import NOW, World
from leadloop.tick.services import run_tick


def store(world: World, key: str, *, age: timedelta) -> IdempotentRequest:
    return IdempotentRequest.objects.create(
        user=world.marketing, key=key, fingerprint="f", status=201, body={}, created_at=NOW - age
    )


def test_the_tick_deletes_answers_past_the_window_in_one_statement(world: World) -> None:
    store(world, "fresh", age=timedelta(hours=23, minutes=59))
    store(world, "edge", age=timedelta(hours=24))
    store(world, "old", age=timedelta(days=3))
    with CaptureQueriesContext(connection) as queries:
        result = run_tick(now=NOW)
    assert result.idempotency_purged == 2
    assert result.as_dict()["idempotency_purged"] == 2
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["fresh"]
    deletes = [q["sql"] for q in queries if "api_idempotentrequest" in q["sql"]]
    assert len(deletes) == 1
    assert deletes[0].startswith("DELETE")


def test_the_window_is_a_setting(world: World, settings: Any) -> None:
    settings.IDEMPOTENCY_WINDOW = timedelta(hours=1)
    store(world, "half", age=timedelta(minutes=30))
    store(world, "two", age=timedelta(hours=2))
    assert run_tick(now=NOW).idempotency_purged == 1
    assert run_tick(now=NOW).idempotency_purged == 0


def test_the_tick_command_reports_the_deleted_answers(world: World) -> None:
    store(world, "old", age=timedelta(days=2))
    out = StringIO()
    call_command("tick", "--now", NOW.isoformat(), "--json", stdout=out)
    assert json.loads(out.getvalue())["idempotency_purged"] == 1


def test_a_retry_past_the_window_is_a_new_request_even_before_the_tick(world: World) -> None:
    runs: list[int] = []

    def handler() -> tuple[int, dict[str, Any]]:
        runs.append(1)
        return 201, {"n": len(runs)}

    def send(at: timedelta) -> tuple[int, dict[str, Any]]:
        return run_once(
            user=world.marketing, key="k-1", fingerprint="same", now=NOW + at, handler=handler
        )

    assert send(timedelta(0)) == (201, {"n": 1})
    assert send(timedelta(hours=23)) == (201, {"n": 1})
    assert send(timedelta(hours=24)) == (201, {"n": 2})
    assert IdempotentRequest.objects.get(key="k-1").created_at == NOW + timedelta(hours=24)
