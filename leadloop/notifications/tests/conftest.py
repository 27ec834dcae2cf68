"""Fixtures for the notification tests: pinned clock, leads with an empty inbox,
and a real SMTP server on 127.0.0.1 that keeps what it receives."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from leadloop.leads.models import Lead
from leadloop.lib import pages
from leadloop.notifications.models import Notification
from leadloop.notifications.tests.mailserver import Collector, free_port
from leadloop.testing import NOW, World, make_lead


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "clock", lambda: NOW)


@pytest.fixture
def leads(world: World) -> dict[str, Lead]:
    """One lead per side; whatever notifications making them wrote are cleared,
    so each test starts from an empty inbox whatever other apps notify about."""
    result = {
        "alpha": make_lead(
            world.a, owner=world.a.inside, last_name="Alphalead", company="Alpha AG"
        ),
        "beta": make_lead(world.b, owner=world.b.inside, last_name="Betalead", company="Beta BV"),
    }
    Notification.objects.all().delete()
    return result


@pytest.fixture
def smtp(settings: Any) -> Iterator[Collector]:
    """A real SMTP server on 127.0.0.1, and Django's SMTP backend pointed at it."""
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield handler
    finally:
        controller.stop()
