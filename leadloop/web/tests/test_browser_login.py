"""Headless Chromium: a person logs in and lands on her home page."""

from __future__ import annotations

from typing import Any

import pytest

from leadloop.testing import PASSWORD, World

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_login_and_home(browser_context: Any, world: World) -> None:
    page = browser_context.new_page()
    page.goto("/")
    page.fill("input[name=username]", world.a.inside.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)  # "**/" matched /login/ too
    assert page.locator("h1").first.inner_text() == "My queue"
    assert world.a.inside.first_name in page.locator(".whoami").inner_text()
