from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from leadloop.testing import World, build_world


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # PBKDF2's cost is the point in production and pure waste in tests:
    # every test world creates a dozen users with passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    # The API's rate limits count in the (in-memory) cache: every test starts
    # with nothing counted, whatever the tests before it sent.
    cache.clear()


@pytest.fixture(autouse=True)
def _imports_dir(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    # Uploaded lead files go to a directory of the test's own, never the project's.
    settings.IMPORTS_DIR = tmp_path_factory.mktemp("imports")


@pytest.fixture(autouse=True)
def _webhooks_to_local_receivers(settings: Any) -> None:
    # Test receivers listen on 127.0.0.1; the tests of the address refusals turn
    # this off again (leadloop/webhooks/tests/test_safety.py).
    settings.LEADLOOP_WEBHOOKS_ALLOW_PRIVATE = True


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@pytest.fixture
def tworld(django_db_serialized_rollback: None, transactional_db: None) -> World:
    """The world committed for real, for tests with threads, workers or a browser.

    Serialized rollback comes first: the migrations' groups, reason codes and
    default cadence are back for the next test.
    """
    return build_world()


# ---------------------------------------------------------------- browser tests
#
# Headless Debian Chromium driven by Playwright's Python package (no browser
# download): `executable_path` points at the system binary. The flags keep it
# off the network, which this machine does not have anyway.

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture
def browser_context(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A fresh headless Chromium, pointed at the live server, for one test.

    Per test, not per session: Playwright's sync API keeps an event loop
    running in this thread while it lives, which would break later tests that
    use asyncio (the bench's load generator).
    """
    if not Path(CHROMIUM).exists():
        message = f"no Chromium at {CHROMIUM}: apt-get install chromium (or set CHROMIUM)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # That event loop makes Django think the test body is async code; the ORM
    # calls in the test are synchronous, so let them through for this test only.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=live_server.url, timezone_id="Europe/Berlin")
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            context.close()
            browser.close()
