"""Sending to a real receiver on 127.0.0.1 that checks every signature with the
`standardwebhooks` verifier; retries are driven by pinning `now`."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from leadloop.lifecycle import webhooks
from leadloop.lifecycle.transitions import lead_transition
from leadloop.notifications.choices import NotificationKind
from leadloop.notifications.models import Notification
from leadloop.testing import NOW, World, make_lead
from leadloop.tick.services import run_tick
from leadloop.webhooks.choices import DeliveryState
from leadloop.webhooks.models import Delivery, DeliveryAttempt, Endpoint
from leadloop.webhooks.rules import FAILING_LIMIT
from leadloop.webhooks.services import create_endpoint, rotate_secret
from leadloop.webhooks.tests.receiver import Receiver, running


@pytest.fixture(autouse=True)
def _private_ok(settings):
    settings.LEADLOOP_WEBHOOKS_ALLOW_PRIVATE = True


@pytest.fixture
def receiver():
    with running(Receiver()) as r:
        yield r


def register(world: World, receiver: Receiver, events=("*",)) -> Endpoint:
    endpoint, secret = create_endpoint(
        url=receiver.url, events=list(events), owner=world.admin, team=None, now=NOW
    )
    receiver.secret = secret
    return endpoint


def test_a_delivery_is_retried_until_it_arrives_and_never_sent_again(world, receiver):
    endpoint = register(world, receiver, ["lead.created"])
    receiver.script = [500, 500, 500]
    lead = make_lead(world.a, owner=world.a.inside)
    [delivery] = Delivery.objects.filter(endpoint=endpoint)
    now = NOW
    for expected_attempts in (1, 2, 3):
        webhooks.deliver_due(now=now)
        delivery.refresh_from_db()
        assert delivery.attempts == expected_attempts
        assert delivery.state == DeliveryState.PENDING
        # Not due again before its retry time.
        assert webhooks.deliver_due(now=now).sent == 0
        now = delivery.next_attempt_at
    webhooks.deliver_due(now=now)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED
    assert receiver.bad_signatures == 0
    assert [r["status"] for r in receiver.requests] == [500, 500, 500, 200]
    # Every try carried the same id and the same bytes.
    assert len({r["headers"]["webhook-id"] for r in receiver.requests}) == 1
    assert len({r["body"] for r in receiver.requests}) == 1
    body = receiver.requests[-1]["json"]
    assert body["type"] == "lead.created"
    assert body["data"]["lead"]["id"] == lead.pk
    assert body["data"]["lead"]["email"] == lead.email
    assert body["data"]["event"]["kind"] == "created"
    assert body["timestamp"].endswith("Z")
    attempts = list(DeliveryAttempt.objects.filter(delivery=delivery))
    assert [a.status_code for a in attempts] == [500, 500, 500, 200]
    assert all(a.response.startswith('{"status"') for a in attempts)
    # Delivered: a later tick sends nothing.
    assert webhooks.deliver_due(now=now + timedelta(days=2)).sent == 0
    assert len(receiver.requests) == 4


def test_retries_follow_the_schedule_and_honour_retry_after(world, receiver):
    endpoint = register(world, receiver, ["lead.created"])
    receiver.script = [500, 503]
    make_lead(world.a, owner=world.a.inside)
    [delivery] = Delivery.objects.filter(endpoint=endpoint)
    webhooks.deliver_due(now=NOW)
    delivery.refresh_from_db()
    # Second attempt 5 s later, and up to 10% more (jitter).
    assert timedelta(seconds=5) <= delivery.next_attempt_at - NOW <= timedelta(seconds=5.5)
    receiver.headers_out = {"Retry-After": "3600"}
    webhooks.deliver_due(now=delivery.next_attempt_at)
    before = delivery.next_attempt_at
    delivery.refresh_from_db()
    # The schedule says 5 minutes; the receiver asked for an hour.
    assert delivery.next_attempt_at - before >= timedelta(hours=1)


def test_a_leads_messages_arrive_in_order(world, receiver):
    register(world, receiver)
    receiver.script = [500]
    lead = make_lead(world.a, owner=world.a.inside)
    lead_transition(lead=lead, action="start_work", actor=world.a.inside, now=NOW)
    # The first message fails: the later ones of the same lead wait for it.
    first = webhooks.deliver_due(now=NOW)
    assert first.sent == 1
    pending = Delivery.objects.get(attempts=1)
    later = NOW + timedelta(minutes=1)
    webhooks.deliver_due(now=later)
    event_ids = [r["json"]["data"]["event"]["id"] for r in receiver.requests if r["json"]]
    assert event_ids == sorted(event_ids)
    assert event_ids[0] == pending.event_id
    assert Delivery.objects.exclude(state=DeliveryState.DELIVERED).count() == 0


def test_410_disables_the_endpoint_and_tells_its_owner(world, receiver):
    endpoint = register(world, receiver, ["lead.created"])
    receiver.script = [410]
    make_lead(world.a, owner=world.a.inside)
    result = webhooks.deliver_due(now=NOW)
    assert result.disabled == 1
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert "410" in endpoint.disabled_reason
    note = Notification.objects.get(user=world.admin, kind=NotificationKind.WEBHOOK_DISABLED)
    assert note.data["endpoint"] == endpoint.pk
    # Its messages wait, unsent, until it is turned on again.
    make_lead(world.a, owner=world.a.inside)
    assert webhooks.deliver_due(now=NOW + timedelta(hours=1)).sent == 0


def test_three_days_of_failures_disable_the_endpoint(world, receiver):
    endpoint = register(world, receiver, ["lead.created"])
    receiver.script = [500] * 20
    make_lead(world.a, owner=world.a.inside)
    delivery = Delivery.objects.get(endpoint=endpoint)
    now = NOW
    while now - NOW < FAILING_LIMIT + timedelta(days=1):
        webhooks.deliver_due(now=now)
        delivery.refresh_from_db()
        endpoint.refresh_from_db()
        if not endpoint.is_active or delivery.state != DeliveryState.PENDING:
            break
        now = delivery.next_attempt_at
    assert not endpoint.is_active
    assert now - NOW >= FAILING_LIMIT
    assert "every delivery failed since" in endpoint.disabled_reason
    assert Notification.objects.filter(
        user=world.admin, kind=NotificationKind.WEBHOOK_DISABLED
    ).exists()


def test_a_rotated_secret_signs_with_both_for_a_day(world, receiver):
    endpoint = register(world, receiver, ["lead.created"])
    old = receiver.secret
    new = rotate_secret(endpoint, now=NOW)
    make_lead(world.a, owner=world.a.inside)
    webhooks.deliver_due(now=NOW + timedelta(hours=1))
    request = receiver.requests[-1]
    assert len(request["headers"]["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(request["body"], request["headers"])
    Webhook(new).verify(request["body"], request["headers"])
    receiver.secret = new
    make_lead(world.a, owner=world.a.inside)
    webhooks.deliver_due(now=NOW + timedelta(hours=25))
    request = receiver.requests[-1]
    assert len(request["headers"]["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(request["body"], request["headers"])
    assert receiver.bad_signatures == 0


def test_resend_and_test_event(world, receiver):
    endpoint = register(world, receiver, ["lead.created"])
    make_lead(world.a, owner=world.a.inside)
    webhooks.deliver_due(now=NOW)
    delivery = Delivery.objects.get(endpoint=endpoint)
    webhooks.resend(delivery, now=NOW + timedelta(minutes=5))
    webhooks.deliver_due(now=NOW + timedelta(minutes=5))
    assert len(receiver.requests) == 2
    assert receiver.requests[0]["body"] == receiver.requests[1]["body"]
    test = webhooks.send_test(endpoint, now=NOW + timedelta(minutes=6))
    webhooks.deliver_due(now=NOW + timedelta(minutes=6))
    test.refresh_from_db()
    assert test.state == DeliveryState.DELIVERED
    assert json.loads(receiver.requests[-1]["body"])["type"] == "webhook.test"


def test_failed_messages_since_a_time_are_sent_again(world, receiver):
    endpoint = register(world, receiver, ["lead.created"])
    make_lead(world.a, owner=world.a.inside)
    Delivery.objects.filter(endpoint=endpoint).update(state=DeliveryState.FAILED, attempts=10)
    count = webhooks.resend_failed(endpoint, since=NOW - timedelta(hours=1), now=NOW)
    assert count == 1
    webhooks.deliver_due(now=NOW)
    assert Delivery.objects.get(endpoint=endpoint).state == DeliveryState.DELIVERED


def test_the_tick_sends_retries_when_they_are_due(world, receiver):
    register(world, receiver, ["lead.created"])
    receiver.script = [500]
    make_lead(world.a, owner=world.a.inside)
    first = run_tick(now=NOW)
    assert (first.webhooks.sent, first.webhooks.delivered) == (1, 0)
    later = run_tick(now=NOW + timedelta(minutes=1))
    assert (later.webhooks.sent, later.webhooks.delivered) == (1, 1)
    assert later.as_dict()["webhooks_delivered"] == 1


def test_delivered_messages_leave_the_log_after_thirty_days(world, receiver):
    register(world, receiver, ["lead.created"])
    make_lead(world.a, owner=world.a.inside)
    make_lead(world.a, owner=world.a.inside)
    receiver.script = [200, 500]
    webhooks.deliver_due(now=NOW)
    assert run_tick(now=NOW + timedelta(days=29)).webhook_log_purged == 0
    # Day 31: the message delivered at once goes; the retry, delivered by the tick of
    # day 29, stays with both its attempts.
    assert run_tick(now=NOW + timedelta(days=31)).webhook_log_purged == 1
    [left] = Delivery.objects.all()
    assert left.state == DeliveryState.DELIVERED
    assert DeliveryAttempt.objects.filter(delivery=left).count() == 2
    assert DeliveryAttempt.objects.count() == 2
