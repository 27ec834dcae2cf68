"""A real huey consumer sends a message queued when its event committed."""

from __future__ import annotations

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from leadloop.lifecycle import webhooks
from leadloop.testing import World, make_lead
from leadloop.tick.tests.test_worker import queue, wait_for
from leadloop.webhooks.models import Delivery
from leadloop.webhooks.services import create_endpoint
from leadloop.webhooks.tests.receiver import Receiver, running

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

__all__ = ["queue"]


def test_a_committed_event_is_sent_by_the_worker(queue: str, tworld: World) -> None:
    with running(Receiver()) as receiver:
        _, receiver.secret = create_endpoint(
            url=receiver.url,
            events=["lead.created"],
            owner=tworld.admin,
            team=None,
            now=timezone.now(),
        )
        lead = make_lead(tworld.a, owner=tworld.a.inside, now=timezone.now())
        # Committed: the message is in the outbox and the task in the queue, unsent.
        assert Delivery.objects.filter(lead=lead, state="pending").count() == 1
        assert HUEY.pending_count() >= 1
        assert receiver.requests == []
        consumer = HUEY.create_consumer(workers=1, worker_type="thread", periodic=False)
        consumer.start()
        try:
            assert wait_for(lambda: len(receiver.accepted) == 1), f"nothing from the {queue} worker"
        finally:
            consumer.stop(graceful=True)
    [body] = receiver.accepted.values()
    assert body["data"]["lead"]["id"] == lead.pk
    assert Delivery.objects.get(lead=lead).state == "delivered"


def test_a_burst_of_commits_wakes_the_worker_once_and_once_after(
    queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webhooks, "_wakes", {"last": -10.0, "trailing": -10.0})
    for _ in range(5):
        webhooks._wake_worker(None)
    # One task now, one for the end of the window (huey queues it with its eta); not five.
    tasks = HUEY.pending()
    assert len(tasks) == 2
    assert sorted(task.eta is not None for task in tasks) == [False, True]
    # A test event someone waits for is never held back.
    webhooks._wake_worker([1])
    assert HUEY.pending_count() == 3
