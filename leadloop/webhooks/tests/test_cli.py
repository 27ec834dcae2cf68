"""`leadloop webhooks list|test|resend|deliver` against a real receiver."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from leadloop.testing import NOW, World, make_lead
from leadloop.webhooks.models import Delivery
from leadloop.webhooks.services import create_endpoint
from leadloop.webhooks.tests.receiver import Receiver, running


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("webhooks", *args, stdout=out)
    return out.getvalue()


def test_list_test_resend_and_deliver(world: World) -> None:
    with running(Receiver()) as receiver:
        endpoint, receiver.secret = create_endpoint(
            url=receiver.url, events=["lead.created"], owner=world.admin, team=None, now=NOW
        )
        make_lead(world.a, owner=world.a.inside)
        listed = json.loads(run("list", "--json"))
        assert listed[0]["url"] == receiver.url
        assert listed[0]["deliveries"] == {"pending": 1}
        assert "lead.created" in run("list")
        delivered = json.loads(run("deliver", "--json"))
        assert delivered["delivered"] == 1
        tested = json.loads(run("test", str(endpoint.pk), "--json"))
        assert tested["status"] == 200
        assert tested["state"] == "delivered"
        message = Delivery.objects.get(event_type="lead.created")
        resent = json.loads(run("resend", str(endpoint.pk), str(message.pk), "--json"))
        assert resent["state"] == "delivered"
        assert "queued again" in run("resend", str(endpoint.pk), "--failed-since", "2026-11-01")
    assert len(receiver.requests) == 3
    assert receiver.bad_signatures == 0


def test_a_failed_test_event_says_why(world: World) -> None:
    with running(Receiver()) as receiver:
        endpoint, receiver.secret = create_endpoint(
            url=receiver.url, events=["*"], owner=world.admin, team=None, now=NOW
        )
        receiver.script = [500]
        with pytest.raises(CommandError, match="500"):
            run("test", str(endpoint.pk))
    with pytest.raises(CommandError, match="no webhook endpoint"):
        run("test", "999")
    with pytest.raises(CommandError, match="failed-since"):
        run("resend", str(endpoint.pk))
