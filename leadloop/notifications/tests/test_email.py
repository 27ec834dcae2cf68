"""Email through Django's SMTP backend to a real SMTP server on 127.0.0.1 (aiosmtpd):
immediately after commit, as one daily digest, or not at all; a dead server is
kept for the next tick, not raised."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from leadloop.accounts.choices import NotifyMode
from leadloop.accounts.models import User
from leadloop.leads.models import Lead
from leadloop.notifications.choices import EmailState, NotificationKind
from leadloop.notifications.delivery import deliver_queued_emails, send_digests
from leadloop.notifications.models import Digest, Notification
from leadloop.notifications.services import notify as notify_service
from leadloop.notifications.services import set_preferences
from leadloop.notifications.tests.mailserver import Collector, free_port
from leadloop.testing import NOW, World

# The inside reps have no zone of their own, so they are on the default, Berlin
# (UTC+1 in November): 06:00 UTC is 07:00 there, before the 07:30 digest time.
BEFORE_DIGEST = datetime(2026, 11, 18, 6, 0, tzinfo=UTC)
AFTER_DIGEST = datetime(2026, 11, 18, 6, 45, tzinfo=UTC)


def set_mode(user: User, mode: str) -> None:
    User.objects.filter(pk=user.pk).update(notify_mode=mode)


def news(user: User, lead: Lead, summary: str, *, at: datetime = NOW) -> list[Notification]:
    return notify_service(
        users=[user],
        kind=NotificationKind.LEAD_EVENT,
        now=at,
        lead_id=lead.pk,
        data={"summary": summary, "actor": "Alpha Sales"},
    )


def lead_link(lead: Lead) -> str:
    return settings.LEADLOOP_BASE_URL.rstrip("/") + reverse("web:lead_detail", args=[lead.pk])


def test_immediate_email_arrives_after_commit(
    world: World,
    leads: dict[str, Lead],
    smtp: Collector,
    django_capture_on_commit_callbacks: Any,
) -> None:
    lead = leads["alpha"]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            [n] = news(world.a.inside, lead, "Accepted by sales")
            assert n.email_state == EmailState.QUEUED
        assert smtp.received == []  # nothing is sent before the commit
    assert len(callbacks) == 1
    [mail] = smtp.received
    assert mail.rcpt_tos == ["alpha_inside@example.com"]
    assert mail.subject == f"[leadloop] {lead}: Accepted by sales"
    assert str(mail.message["To"]) == "alpha_inside@example.com"
    assert lead_link(lead) in mail.body
    assert "by Alpha Sales" in mail.body
    n.refresh_from_db()
    assert n.email_state == EmailState.SENT
    assert n.emailed_at is not None


def test_nothing_is_sent_for_a_rolled_back_change(
    world: World,
    leads: dict[str, Lead],
    smtp: Collector,
    django_capture_on_commit_callbacks: Any,
) -> None:
    def failing_change() -> None:
        with transaction.atomic():
            news(world.a.inside, leads["alpha"], "Never happened")
            raise RuntimeError("the change failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        failing_change()
    assert smtp.received == []
    assert not Notification.objects.exists()


def test_daily_digest_once_a_day_after_half_past_seven(
    world: World, leads: dict[str, Lead], smtp: Collector, django_capture_on_commit_callbacks: Any
) -> None:
    user = world.a.inside
    set_mode(user, NotifyMode.DIGEST)
    lead = leads["alpha"]
    with django_capture_on_commit_callbacks(execute=True):
        for i, summary in enumerate(("Accepted by sales", "Meeting held", "Opportunity opened")):
            [n] = news(user, lead, summary, at=NOW + timedelta(hours=i))
            assert n.email_state == EmailState.DIGEST
    assert smtp.received == []  # digest mode sends nothing as it happens

    assert send_digests(now=BEFORE_DIGEST) == 0
    assert smtp.received == []
    assert not Digest.objects.exists()

    assert send_digests(now=AFTER_DIGEST) == 1
    [mail] = smtp.received
    assert mail.rcpt_tos == ["alpha_inside@example.com"]
    assert mail.subject == "[leadloop] Your daily digest, Wed 18 Nov: 3 updates"
    for summary in ("Accepted by sales", "Meeting held", "Opportunity opened"):
        assert f"{lead}: {summary}" in mail.body
    assert mail.body.count(lead_link(lead)) == 3
    assert set(Notification.objects.values_list("email_state", flat=True)) == {EmailState.DIGESTED}

    # Later the same (local) day: nothing more, even with news waiting.
    news(user, lead, "Won", at=AFTER_DIGEST + timedelta(minutes=5))
    assert send_digests(now=AFTER_DIGEST + timedelta(hours=3)) == 0
    assert len(smtp.received) == 1
    # The next morning the waiting one goes out alone.
    assert send_digests(now=AFTER_DIGEST + timedelta(days=1)) == 1
    assert len(smtp.received) == 2
    assert smtp.received[1].subject.endswith(": 1 update")


def test_off_sends_nothing(
    world: World, leads: dict[str, Lead], smtp: Collector, django_capture_on_commit_callbacks: Any
) -> None:
    set_mode(world.a.inside, NotifyMode.OFF)
    with django_capture_on_commit_callbacks(execute=True):
        [n] = news(world.a.inside, leads["alpha"], "Accepted by sales")
    assert n.email_state == EmailState.OFF
    assert send_digests(now=AFTER_DIGEST) == 0
    assert smtp.received == []
    assert Notification.objects.get(pk=n.pk).read_at is None  # still in her inbox


def test_turning_email_off_cancels_the_waiting_digest(
    world: World, leads: dict[str, Lead], smtp: Collector
) -> None:
    set_mode(world.a.inside, NotifyMode.DIGEST)
    [n] = news(world.a.inside, leads["alpha"], "Accepted by sales")
    set_preferences(user=world.a.inside, notify_mode=NotifyMode.OFF, timezone="")
    assert send_digests(now=AFTER_DIGEST) == 0
    assert smtp.received == []
    assert Notification.objects.get(pk=n.pk).email_state == EmailState.OFF


def test_each_user_gets_her_own_mode(
    world: World, leads: dict[str, Lead], smtp: Collector, django_capture_on_commit_callbacks: Any
) -> None:
    set_mode(world.a.tele_manager, NotifyMode.DIGEST)
    set_mode(world.a.sales_manager, NotifyMode.OFF)
    with django_capture_on_commit_callbacks(execute=True):
        notify_service(
            users=[world.a.inside, world.a.tele_manager, world.a.sales_manager],
            kind=NotificationKind.LEAD_EVENT,
            now=NOW,
            lead_id=leads["alpha"].pk,
            data={"summary": "Rejected by sales"},
        )
    assert [m.rcpt_tos for m in smtp.received] == [["alpha_inside@example.com"]]
    assert send_digests(now=AFTER_DIGEST) == 1
    assert smtp.received[1].rcpt_tos == ["alpha_tele_mgr@example.com"]


def test_a_dead_server_keeps_emails_waiting_for_the_next_tick(
    world: World,
    leads: dict[str, Lead],
    settings: Any,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens there
    settings.EMAIL_TIMEOUT = 5
    caplog.set_level(logging.WARNING, logger="leadloop.notifications")
    with django_capture_on_commit_callbacks(execute=True):  # must not raise
        [n] = news(world.a.inside, leads["alpha"], "Accepted by sales")
    n.refresh_from_db()
    assert n.email_state == EmailState.QUEUED
    assert n.emailed_at is None
    assert any(
        r.name == "leadloop.notifications" and "unreachable" in r.getMessage()
        for r in caplog.records
    )
    # The digest path waits the same way: no digest is claimed for today.
    set_mode(world.a.inside, NotifyMode.DIGEST)
    [d] = news(world.a.inside, leads["alpha"], "Meeting held")
    assert send_digests(now=AFTER_DIGEST) == 0
    assert Notification.objects.get(pk=d.pk).email_state == EmailState.DIGEST
    assert not Digest.objects.exists()

    # The server is back: the next tick sends both.
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings.EMAIL_PORT = controller.port
        assert deliver_queued_emails(now=AFTER_DIGEST) == 1
        assert send_digests(now=AFTER_DIGEST) == 1
    finally:
        controller.stop()
    assert len(handler.received) == 2
    n.refresh_from_db()
    assert n.email_state == EmailState.SENT


def test_a_refused_recipient_is_marked_failed_and_the_rest_go_out(
    world: World, leads: dict[str, Lead], smtp: Collector
) -> None:
    User.objects.filter(pk=world.a.tele_manager.pk).update(email="no-such-user@")
    both = notify_service(
        users=[world.a.inside, world.a.tele_manager],
        kind=NotificationKind.LEAD_EVENT,
        now=NOW,
        lead_id=leads["alpha"].pk,
        data={"summary": "Won"},
    )
    assert deliver_queued_emails(now=NOW) == 1
    states = dict(
        Notification.objects.filter(pk__in=[n.pk for n in both]).values_list(
            "user_id", "email_state"
        )
    )
    assert states == {
        world.a.inside.pk: EmailState.SENT,
        world.a.tele_manager.pk: EmailState.FAILED,
    }
