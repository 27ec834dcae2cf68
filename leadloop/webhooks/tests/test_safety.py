"""No request to loopback, private, link-local or reserved addresses unless allowed;
checked at registration and again on every send, after DNS resolution."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from leadloop.lifecycle import webhooks
from leadloop.testing import NOW, World, make_lead
from leadloop.webhooks.models import Delivery, DeliveryAttempt
from leadloop.webhooks.services import create_endpoint
from leadloop.webhooks.tests.receiver import Receiver, running


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/hook",
        "http://10.0.0.5/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        # A name that resolves to loopback is refused after resolution.
        "http://localhost:9000/hook",
        "https://0.0.0.0/hook",
    ],
)
def test_private_targets_are_refused_at_registration(world: World, settings, url: str) -> None:
    settings.LEADLOOP_WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(ValidationError) as refused:
        create_endpoint(url=url, events=["*"], owner=world.admin, team=None, now=NOW)
    assert "url" in refused.value.message_dict


def test_a_target_that_became_private_is_refused_when_sending(world: World, settings) -> None:
    with running(Receiver()) as receiver:
        settings.LEADLOOP_WEBHOOKS_ALLOW_PRIVATE = True
        endpoint, receiver.secret = create_endpoint(
            url=receiver.url.replace("127.0.0.1", "localhost"),
            events=["*"],
            owner=world.admin,
            team=None,
            now=NOW,
        )
        make_lead(world.a, owner=world.a.inside)
        settings.LEADLOOP_WEBHOOKS_ALLOW_PRIVATE = False
        webhooks.deliver_due(now=NOW)
        assert receiver.requests == []
    attempt = DeliveryAttempt.objects.filter(delivery__endpoint=endpoint).first()
    assert attempt is not None
    assert attempt.status_code is None
    assert "refused" in attempt.error and "loopback" in attempt.error


def test_redirects_are_not_followed(world: World, settings) -> None:
    settings.LEADLOOP_WEBHOOKS_ALLOW_PRIVATE = True
    with running(Receiver()) as target, running(Receiver()) as redirecting:
        redirecting.script = [302]
        redirecting.headers_out = {"Location": target.url}
        endpoint, redirecting.secret = create_endpoint(
            url=redirecting.url, events=["lead.created"], owner=world.admin, team=None, now=NOW
        )
        make_lead(world.a, owner=world.a.inside)
        webhooks.deliver_due(now=NOW)
        assert target.requests == []
    delivery = Delivery.objects.get(endpoint=endpoint)
    assert delivery.last_status == 302
    assert delivery.state == "pending"


def test_only_http_and_https(world: World, settings) -> None:
    settings.LEADLOOP_WEBHOOKS_ALLOW_PRIVATE = True
    with pytest.raises(ValidationError):
        create_endpoint(
            url="gopher://127.0.0.1/x", events=["*"], owner=world.admin, team=None, now=NOW
        )


def test_no_more_of_an_answer_is_kept_than_a_kibibyte(world: World) -> None:
    with running(Receiver(body_out=b"x" * 200_000)) as receiver:
        endpoint, receiver.secret = create_endpoint(
            url=receiver.url, events=["lead.created"], owner=world.admin, team=None, now=NOW
        )
        make_lead(world.a, owner=world.a.inside)
        webhooks.deliver_due(now=NOW)
    attempt = DeliveryAttempt.objects.get(delivery__endpoint=endpoint)
    assert attempt.status_code == 200
    assert attempt.response == "x" * 1024
