"""`kill -9` of a process sending webhooks mid-batch: after a restart every message
arrives; the receiver, deduplicating by `webhook-id`, sees each exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from leadloop.lib.times import iso_utc
from leadloop.lifecycle import webhooks
from leadloop.lifecycle.tests.test_import_kill import database_url
from leadloop.testing import World, make_lead
from leadloop.webhooks.choices import DeliveryState
from leadloop.webhooks.models import Delivery
from leadloop.webhooks.services import create_endpoint
from leadloop.webhooks.tests.receiver import Receiver, running

LEADS = 120


def deliver(tmp: Path, *extra: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "HUEY_FILE": str(tmp / "queue.sqlite3"),
        "LEADLOOP_WEBHOOKS_ALLOW_PRIVATE": "true",
    }
    env.pop("PYTEST_VERSION", None)
    return subprocess.Popen(
        [sys.executable, "-m", "leadloop", "webhooks", "deliver", "--json", *extra],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_kill_9_mid_delivery_then_restart_delivers_everything_once(
    tworld: World, tmp_path: Path, settings, monkeypatch
) -> None:
    settings.LEADLOOP_WEBHOOKS_ALLOW_PRIVATE = True
    # The messages wait in the outbox for the worker under test (in tests huey
    # would otherwise send them in this process as each lead commits).
    monkeypatch.setattr(webhooks, "_send_on_commit", lambda ids=None: None)
    with running(Receiver(delay=0.02)) as receiver:
        _, receiver.secret = create_endpoint(
            url=receiver.url,
            events=["lead.created"],
            owner=tworld.admin,
            team=None,
            now=timezone.now(),
        )
        for _ in range(LEADS):
            make_lead(tworld.a, owner=tworld.a.inside)
        assert Delivery.objects.count() == LEADS
        child = deliver(tmp_path)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(receiver.requests) < LEADS // 4:
            assert child.poll() is None, child.stderr.read() if child.stderr else ""
            time.sleep(0.01)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        killed_at = len(receiver.requests)
        assert 0 < killed_at < LEADS
        assert Delivery.objects.exclude(state=DeliveryState.DELIVERED).exists()
        # The killed worker's claims run out; a restarted worker sends the rest.
        later = iso_utc(timezone.now() + timedelta(minutes=15))
        restarted = deliver(tmp_path, "--now", later)
        _out, err = restarted.communicate(timeout=180)
        assert restarted.returncode == 0, err
    assert not Delivery.objects.exclude(state=DeliveryState.DELIVERED).exists()
    ids = set(Delivery.objects.values_list("message_id", flat=True))
    assert len(ids) == LEADS
    # At least once: maybe one message twice (sent, then killed before it was
    # recorded), and the receiver's dedup by webhook-id sees each exactly once.
    assert set(receiver.accepted) == ids
    assert LEADS <= len(receiver.requests) <= LEADS + 1
    assert receiver.bad_signatures == 0
