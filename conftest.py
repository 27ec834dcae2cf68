from __future__ import annotations

from typing import Any

import pytest

from leadloop.testing import World, build_world


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # PBKDF2's cost is the point in production and pure waste in tests:
    # every test world creates a dozen users with passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db: None) -> World:
    return build_world()
