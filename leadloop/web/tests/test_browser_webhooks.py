"""Headless Chromium: an admin registers a webhook endpoint, copies the secret shown once,
sends a test event and reads the delivery log, with nothing blocked by the CSP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from leadloop.lifecycle import webhooks
from leadloop.testing import World, log_in
from leadloop.web.tests.test_browser_csp import RECORD_VIOLATIONS, violations
from leadloop.webhooks.tests.receiver import Receiver, running

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_an_admin_registers_an_endpoint_and_sends_a_test(
    world: World, browser_context: Any, tmp_path: Path
) -> None:
    browser_context.add_init_script(RECORD_VIOLATIONS)
    with running(Receiver()) as receiver:
        page = log_in(browser_context, world.admin.username)
        page.click("nav.mainnav >> text=Webhooks")
        page.fill("input[name=url]", receiver.url)
        page.check("input[name=events][value='lead.handed_off']")
        page.check("input[name=events][value='sla.breached']")
        page.fill("input[name=description]", "CRM sync")
        page.click("button:has-text('Register')")
        secret = page.text_content("[data-secret]")
        assert secret and secret.startswith("whsec_")
        receiver.secret = secret.strip()
        page.click("button:has-text('Send a test event')")
        # In tests the worker's task ran as the test event committed.
        page.wait_for_selector("text=webhook.test")
        webhooks.deliver_due(now=webhooks.timezone.now())
        page.reload()
        assert "Delivered" in page.content()
        assert "[data-secret]" not in page.content()
        page.screenshot(path=str(tmp_path / "webhook.png"), full_page=True)
        assert violations(page) == []
    [request] = receiver.requests
    Webhook(receiver.secret).verify(request["body"], request["headers"])
    assert request["json"]["type"] == "webhook.test"
