"""/api/v1/webhooks: register (the secret once), list, change, the delivery log, resend, test."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from leadloop.lifecycle import webhooks
from leadloop.testing import World, api, make_lead
from leadloop.webhooks.models import Delivery, Endpoint
from leadloop.webhooks.tests.receiver import Receiver, running


def test_register_list_patch_and_delete(world: World) -> None:
    answer = api(
        world,
        world.admin,
        "POST",
        "/webhooks",
        {"url": "http://127.0.0.1:9/hook", "events": ["lead.created", "sla.breached"]},
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["secret"].startswith("whsec_")
    assert body["events"] == ["lead.created", "sla.breached"]
    # Stored encrypted, never shown again.
    stored = Endpoint.objects.get(pk=body["id"])
    assert body["secret"] not in stored.secret
    listed = api(world, world.admin, "GET", "/webhooks").json()
    assert [e["id"] for e in listed] == [body["id"]]
    assert "secret" not in listed[0]
    one = api(world, world.admin, "GET", f"/webhooks/{body['id']}").json()
    assert "secret" not in one
    patched = api(world, world.admin, "PATCH", f"/webhooks/{body['id']}", {"events": ["*"]})
    assert patched.json()["events"] == ["*"]
    rotated = api(world, world.admin, "POST", f"/webhooks/{body['id']}/rotate-secret")
    assert rotated.json()["secret"] != body["secret"]
    assert rotated.json()["previous_secret_valid_until"]
    assert api(world, world.admin, "DELETE", f"/webhooks/{body['id']}").status_code == 204
    assert not Endpoint.objects.exists()


def test_bad_bodies_name_the_field(world: World, settings) -> None:
    bad = api(world, world.admin, "POST", "/webhooks", {"url": "ftp://x/y", "events": ["*"]})
    assert bad.status_code == 422
    assert "url" in bad.content.decode()
    bad = api(
        world, world.admin, "POST", "/webhooks", {"url": "http://127.0.0.1/", "events": ["x.y"]}
    )
    assert bad.status_code == 422
    assert "events" in bad.content.decode()
    settings.LEADLOOP_WEBHOOKS_ALLOW_PRIVATE = False
    bad = api(
        world,
        world.admin,
        "POST",
        "/webhooks",
        {"url": "http://169.254.169.254/latest", "events": ["*"]},
    )
    assert bad.status_code == 422
    assert "link-local" in bad.content.decode() or "private" in bad.content.decode()


def test_only_admins_manage_webhooks(world: World) -> None:
    for user in (world.marketing, world.a.tele_manager, world.a.inside):
        answer = api(
            world, user, "POST", "/webhooks", {"url": "http://127.0.0.1/", "events": ["*"]}
        )
        assert answer.status_code == 403
        assert api(world, user, "GET", "/webhooks").status_code == 403


def test_the_delivery_log_resend_and_test_event(world: World) -> None:
    with running(Receiver()) as receiver:
        created = api(
            world, world.admin, "POST", "/webhooks", {"url": receiver.url, "events": ["*"]}
        ).json()
        receiver.secret = created["secret"]
        receiver.script = [500]
        make_lead(world.a, owner=world.a.inside)
        webhooks.deliver_due(now=timezone.now())
        webhooks.deliver_due(now=timezone.now() + timedelta(seconds=10))
        log = api(world, world.admin, "GET", f"/webhooks/{created['id']}/deliveries").json()
        first = next(d for d in log if d["event_type"] == "lead.created")
        assert [a["status"] for a in first["log"]] == [500, 200]
        assert first["state"] == "delivered"
        assert first["log"][0]["latency_ms"] >= 0
        assert first["log"][1]["response"].startswith("{")
        resent = api(
            world,
            world.admin,
            "POST",
            f"/webhooks/{created['id']}/deliveries/{first['id']}/resend",
        )
        assert resent.status_code == 202
        assert resent.json()["state"] == "pending"
        tested = api(world, world.admin, "POST", f"/webhooks/{created['id']}/test")
        assert tested.status_code == 202
        assert tested.json()["event_type"] == "webhook.test"
        webhooks.deliver_due(now=timezone.now() + timedelta(seconds=20))
    assert Delivery.objects.filter(state="delivered").count() == Delivery.objects.count()
    assert receiver.bad_signatures == 0
    failed = api(
        world,
        world.admin,
        "POST",
        f"/webhooks/{created['id']}/resend-failed",
        {"since": "2026-01-01T00:00:00Z"},
    )
    assert failed.status_code == 202
    assert failed.json() == {"queued": 0}


def test_the_body_shows_the_lead_as_the_api_does(world: World) -> None:
    with running(Receiver()) as receiver:
        created = api(
            world, world.admin, "POST", "/webhooks", {"url": receiver.url, "events": ["*"]}
        ).json()
        receiver.secret = created["secret"]
        lead = make_lead(world.a, owner=world.a.inside)
        webhooks.deliver_due(now=timezone.now())
    from_api = api(world, world.admin, "GET", f"/leads/{lead.pk}").json()
    sent = next(r["json"] for r in receiver.requests if r["json"]["type"] == "lead.created")
    assert sent["data"]["lead"] == {k: from_api[k] for k in sent["data"]["lead"]}
    assert sent["data"]["event"] == next(
        e for e in from_api["events"] if e["id"] == sent["data"]["event"]["id"]
    )
