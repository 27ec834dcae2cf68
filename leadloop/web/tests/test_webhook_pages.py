"""The webhook pages: register (the secret once), the log, resend, test; admins only."""

from __future__ import annotations

from django.utils import timezone

from leadloop.lifecycle import webhooks
from leadloop.testing import World, client_for, make_lead
from leadloop.webhooks.models import Delivery, Endpoint
from leadloop.webhooks.tests.receiver import Receiver, running


def test_an_admin_registers_an_endpoint_and_reads_its_log(world: World) -> None:
    client = client_for(world.admin)
    assert b">Webhooks</a>" in client.get("/").content
    with running(Receiver()) as receiver:
        page = client.post(
            "/webhooks/",
            {"url": receiver.url, "events": ["lead.created", "sla.breached"], "active": "on"},
        )
        assert page.status_code == 201
        endpoint = Endpoint.objects.get()
        secret = page.content.decode().split("data-secret>")[1].split("<")[0]
        assert secret.startswith("whsec_")
        receiver.secret = secret
        # Shown once: the endpoint's page does not show it again.
        again = client.get(f"/webhooks/{endpoint.pk}/").content.decode()
        assert secret not in again
        receiver.script = [503]
        make_lead(world.a, owner=world.a.inside)
        webhooks.deliver_due(now=timezone.now())
        log = client.get(f"/webhooks/{endpoint.pk}/").content.decode()
        assert "lead.created" in log and "503" in log
        delivery = Delivery.objects.get(endpoint=endpoint)
        answer = client.post(f"/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/resend")
        assert answer.status_code == 302
        webhooks.deliver_due(now=timezone.now())
        delivery.refresh_from_db()
        assert delivery.state == "delivered"
        assert client.post(f"/webhooks/{endpoint.pk}/test").status_code == 302
        webhooks.deliver_due(now=timezone.now())
        assert Delivery.objects.filter(event_type="webhook.test", state="delivered").exists()
    assert receiver.bad_signatures == 0


def test_a_bad_url_is_refused_on_the_form(world: World, settings) -> None:
    settings.LEADLOOP_WEBHOOKS_ALLOW_PRIVATE = False
    client = client_for(world.admin)
    page = client.post("/webhooks/", {"url": "http://10.0.0.1/x", "all_events": "on"})
    assert page.status_code == 422
    assert "private" in page.content.decode()
    assert not Endpoint.objects.exists()


def test_no_webhooks_for_anyone_but_admins(world: World) -> None:
    for user in (world.marketing, world.a.tele_manager, world.a.inside):
        client = client_for(user)
        assert b">Webhooks</a>" not in client.get("/").content
        assert client.get("/webhooks/").status_code == 403
