"""A real huey consumer sends a message queued when its event committed."""

from __future__ import annotations

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

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
