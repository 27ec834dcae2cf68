"""Two requests with one Idempotency-Key at once, on PostgreSQL: one runs, both get its answer."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, connections

from leadloop.api.idempotency import run_once
from leadloop.api.models import IdempotentRequest
from leadloop.testing import NOW, World

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs two connections"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_two_requests_racing_with_one_key_run_the_handler_once(tworld: World) -> None:
    barrier = threading.Barrier(2)
    runs: list[str] = []
    results: dict[str, Any] = {}

    def request(name: str) -> None:
        def handler() -> tuple[int, dict[str, Any]]:
            runs.append(name)
            time.sleep(0.3)  # the other request's claim arrives while this one works
            return 201, {"by": name, "at": NOW}

        try:
            barrier.wait(5)
            results[name] = run_once(
                user=tworld.marketing, key="race-1", fingerprint="f", now=NOW, handler=handler
            )
        except Exception as exc:
            results[name] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=request, args=(n,)) for n in ("x", "y")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(runs) == 1
    [winner] = runs
    # The first answer as the handler gave it; the retry's as it was stored (JSON).
    stored = {"by": winner, "at": "2026-11-17T09:00:00Z"}
    answers = sorted((results["x"], results["y"]), key=lambda r: isinstance(r[1]["at"], str))
    assert answers[0] == (201, {"by": winner, "at": NOW})
    assert answers[1] == (201, stored)
    assert IdempotentRequest.objects.get(key="race-1").body == stored
