"""A real huey consumer (Redis when it answers on 127.0.0.1, else the SQLite queue file).

Everywhere else tasks run immediately at commit; this test proves the queued
path: a task enqueued on commit waits in the queue until a worker takes it,
and the worker's tick sweeps the database.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.core import mail
from django.db import transaction
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from huey.storage import RedisStorage, SqliteStorage

from leadloop.leads.choices import EventKind
from leadloop.leads.models import LeadEvent
from leadloop.notifications.choices import EmailState, NotificationKind
from leadloop.notifications.services import notify
from leadloop.sla.choices import ClockKind
from leadloop.sla.models import SlaClock
from leadloop.testing import World, make_lead
from leadloop.tick.tasks import tick

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


def _redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def queue(tmp_path: Path) -> Iterator[str]:
    """Switch huey from immediate mode to a real, empty queue for this test."""
    name = f"leadloop-test-{uuid.uuid4().hex[:8]}"
    if _redis_answers():
        storage: object = RedisStorage(name, url=REDIS_URL)
        kind = "redis"
    elif os.environ.get("CI"):
        pytest.fail(f"Redis does not answer at {REDIS_URL}; CI must start it (see .ci/run)")
    else:
        storage = SqliteStorage(name, filename=str(tmp_path / "huey.sqlite3"))
        kind = "sqlite"
    HUEY.immediate = False
    saved = HUEY.storage
    HUEY.storage = storage
    HUEY.storage.flush_all()
    try:
        yield kind
    finally:
        HUEY.storage.flush_all()
        HUEY.storage = saved
        HUEY.immediate = True


def wait_for(condition: Callable[[], bool], seconds: float = 40.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


def test_a_real_worker_sends_queued_email_and_runs_the_tick(queue: str, tworld: World) -> None:
    # A month old: both its clocks are due by the time the worker's tick runs.
    lead = make_lead(tworld.a, owner=tworld.a.inside, now=timezone.now() - timedelta(days=30))
    with transaction.atomic():
        [note] = notify(
            users=[tworld.a.inside],
            kind=NotificationKind.SLA_AT_RISK,
            lead_id=lead.pk,
            clock_id=SlaClock.objects.get(lead_id=lead.pk, kind=ClockKind.FIRST_CONTACT).pk,
            now=lead.created_at,
        )
    # Committed: the email task waits in the queue; nothing was sent inline.
    assert HUEY.pending_count() == 1
    assert not mail.outbox

    consumer = HUEY.create_consumer(workers=1, worker_type="thread", periodic=False)
    consumer.start()
    try:
        assert wait_for(lambda: len(mail.outbox) == 1), f"no email from the {queue} worker"
        note.refresh_from_db()
        assert note.email_state == EmailState.SENT
        tick()  # what the scheduler enqueues every minute
        assert wait_for(
            lambda: LeadEvent.objects.filter(lead=lead, kind=EventKind.SLA_BREACHED).count() == 2
        ), f"the {queue} worker did not run the tick"
    finally:
        consumer.stop(graceful=True)
    breaches = LeadEvent.objects.filter(lead=lead, kind=EventKind.SLA_BREACHED)
    assert [e.data["to"] for e in breaches] == [tworld.a.tele_manager.pk] * 2
