"""Brute force on the login form: five wrong passwords lock that name out from that address."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, timedelta
from typing import Any

from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leadloop.testing import PASSWORD, World

ATTACKER = "203.0.113.7"
OFFICE = "198.51.100.20"


def try_login(username: str, password: str, *, address: str = ATTACKER, **extra: Any) -> Any:
    client = Client(REMOTE_ADDR=address)
    response = client.post(
        reverse("web:login"), {"username": username, "password": password}, **extra
    )
    return client, response


def fail(username: str, times: int, *, address: str = ATTACKER) -> Any:
    response = None
    for _ in range(times):
        _, response = try_login(username, "wrong-password", address=address)
    return response


def test_five_wrong_passwords_lock_out_even_the_right_one(world: World) -> None:
    name = world.a.inside.username
    fourth = fail(name, 4)
    assert fourth.status_code == 200  # the form again, with its error
    fifth = fail(name, 1)
    assert fifth.status_code == 429
    client, right = try_login(name, PASSWORD)
    assert right.status_code == 429
    assert client.get(reverse("web:home")).status_code == 302  # to the login page
    page = right.content.decode()
    assert "Too many failed logins" in page
    assert "Try again in 15 minutes" in page
    assert 0 < int(right["Retry-After"]) <= 15 * 60


def test_lockout_page_says_until_when(world: World) -> None:
    name = world.a.inside.username
    fail(name, 5)
    _, response = try_login(name, PASSWORD)
    # The attempt during the lockout started the 15 minutes again.
    latest = AccessAttempt.objects.get(username=name, ip_address=ATTACKER).attempt_time
    until = latest + timedelta(minutes=15)
    assert f"after {until.astimezone(UTC):%H:%M} UTC" in response.content.decode()


def test_the_lockout_is_per_name_and_address(world: World) -> None:
    name = world.a.inside.username
    fail(name, 5)
    client, from_office = try_login(name, PASSWORD, address=OFFICE)
    assert from_office.status_code == 302
    assert client.get(reverse("web:home")).status_code == 200
    _, colleague = try_login(world.a.inside2.username, PASSWORD)
    assert colleague.status_code == 302


def test_the_lockout_ends_after_the_cool_off(world: World) -> None:
    name = world.a.inside.username
    fail(name, 5)
    # As if the last failure were 16 minutes ago.
    AccessAttempt.objects.filter(username=name).update(
        attempt_time=timezone.now() - timedelta(minutes=16)
    )
    client, response = try_login(name, PASSWORD)
    assert response.status_code == 302
    assert client.get(reverse("web:home")).status_code == 200


def test_a_good_login_starts_the_count_again(world: World) -> None:
    name = world.a.inside.username
    fail(name, 4)
    _, good = try_login(name, PASSWORD)
    assert good.status_code == 302
    assert fail(name, 4).status_code == 200
    _, again = try_login(name, PASSWORD)
    assert again.status_code == 302


def test_a_forged_forwarded_for_does_not_dodge_the_lockout(world: World) -> None:
    name = world.a.inside.username
    for n in range(5):
        try_login(name, "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    _, response = try_login(name, PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert response.status_code == 429


def test_behind_a_proxy_the_forwarded_address_counts(world: World, settings: Any) -> None:
    settings.NUM_PROXIES = 1
    name = world.a.inside.username
    for _ in range(5):
        try_login(name, "wrong", address="10.0.0.1", HTTP_X_FORWARDED_FOR=ATTACKER)
    _, locked = try_login(name, PASSWORD, address="10.0.0.1", HTTP_X_FORWARDED_FOR=ATTACKER)
    assert locked.status_code == 429
    _, other = try_login(name, PASSWORD, address="10.0.0.1", HTTP_X_FORWARDED_FOR=OFFICE)
    assert other.status_code == 302


def test_limit_and_cool_off_come_from_the_environment() -> None:
    env = {**os.environ, "LOGIN_FAILURE_LIMIT": "3", "LOGIN_LOCKOUT_MINUTES": "40"}
    code = (
        "import config.settings as s; "
        "print(s.AXES_FAILURE_LIMIT, int(s.AXES_COOLOFF_TIME.total_seconds()), "
        "s.AUTHENTICATION_BACKENDS[0], s.MIDDLEWARE[-1])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == [
        "3",
        "2400",
        "axes.backends.AxesStandaloneBackend",
        "axes.middleware.AxesMiddleware",
    ]


def test_tests_may_lower_the_limit(world: World, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    assert fail(world.a.inside.username, 1).status_code == 200
    assert fail(world.a.inside.username, 1).status_code == 429
