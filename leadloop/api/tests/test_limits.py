"""API rate limits: per token, per address, and an address that keeps sending bad tokens."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from leadloop.api import throttling
from leadloop.api.checks import check_rates
from leadloop.api.throttling import Rate, count_hit, parse_rate
from leadloop.testing import World

OTHER = "198.51.100.20"
# Ten seconds into a minute: no test's requests straddle two windows.
PINNED = 1_800_000_010.0


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(throttling, "clock", lambda: PINNED)


def get(world: World, user: Any, *, address: str = "127.0.0.1", **extra: Any) -> Any:
    client = Client(REMOTE_ADDR=address)
    return client.get("/api/v1/campaigns", **world.auth(user), **extra)


def get_with(token: str, *, address: str = "127.0.0.1", **extra: Any) -> Any:
    client = Client(REMOTE_ADDR=address)
    return client.get("/api/v1/campaigns", HTTP_AUTHORIZATION=f"Bearer {token}", **extra)


def assert_throttled(response: Any) -> None:
    assert response.status_code == 429, response.content
    wait = int(response["Retry-After"])
    assert wait == 50  # the rest of the pinned minute
    assert response.json()["detail"] == f"Too many requests; try again in {wait} s."


def test_a_token_over_its_rate_is_answered_429_with_retry_after(
    world: World, settings: Any
) -> None:
    settings.API_RATE_PER_TOKEN = "3/min"
    for _ in range(3):
        assert get(world, world.marketing).status_code == 200
    assert_throttled(get(world, world.marketing))
    # Another token of the same address keeps its own count.
    assert get(world, world.admin).status_code == 200


def test_an_address_over_its_rate_is_answered_429_whatever_the_token(
    world: World, settings: Any
) -> None:
    settings.API_RATE_PER_ADDRESS = "4/min"
    for user in (world.marketing, world.admin, world.marketing, world.admin):
        assert get(world, user).status_code == 200
    assert_throttled(get(world, world.a.inside))
    assert get(world, world.a.inside, address=OTHER).status_code == 200


def test_writes_count_against_the_same_limits(world: World, settings: Any) -> None:
    settings.API_RATE_PER_TOKEN = "1/min"
    client = Client()
    body = json.dumps({"campaign": world.a.campaign.pk, "first_name": "A", "last_name": "B"})
    first = client.post(
        "/api/v1/leads", body, content_type="application/json", **world.auth(world.marketing)
    )
    assert first.status_code in (200, 201, 422)
    assert_throttled(
        client.post(
            "/api/v1/leads", body, content_type="application/json", **world.auth(world.marketing)
        )
    )


def test_300_bad_tokens_in_a_few_seconds_start_answering_429(world: World) -> None:
    statuses = [get_with(f"ll_{secrets.token_urlsafe(32)}").status_code for _ in range(300)]
    assert statuses[0] == 401
    assert statuses[-1] == 429
    first_refusal = statuses.index(429)
    assert set(statuses[:first_refusal]) == {401}
    assert set(statuses[first_refusal:]) == {429}
    assert first_refusal <= 30  # API_RATE_BAD_TOKENS, 30/min by default
    # Until the window ends that address gets nowhere, not even with a good token...
    assert_throttled(get(world, world.marketing))
    # ...while every other address goes on as before.
    assert get(world, world.marketing, address=OTHER).status_code == 200


def test_requests_without_a_token_count_as_bad_ones(world: World, settings: Any) -> None:
    settings.API_RATE_BAD_TOKENS = "3/min"
    client = Client()
    assert [client.get("/api/v1/campaigns").status_code for _ in range(4)] == [401, 401, 401, 429]


def test_a_forged_forwarded_for_does_not_start_a_new_count(world: World, settings: Any) -> None:
    settings.API_RATE_BAD_TOKENS = "2/min"
    for n in range(2):
        get_with("ll_wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    assert get_with("ll_wrong", HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429


def test_behind_a_proxy_each_forwarded_address_has_its_count(world: World, settings: Any) -> None:
    settings.NUM_PROXIES = 1
    settings.API_RATE_PER_ADDRESS = "1/min"
    proxy = "10.0.0.1"
    assert get(world, world.marketing, address=proxy, HTTP_X_FORWARDED_FOR=OTHER).status_code == 200
    assert_throttled(get(world, world.admin, address=proxy, HTTP_X_FORWARDED_FOR=OTHER))
    assert (
        get(world, world.admin, address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.9").status_code
        == 200
    )


def test_a_limit_set_off_lets_everything_through(world: World, settings: Any) -> None:
    settings.API_RATE_PER_TOKEN = "off"
    settings.API_RATE_PER_ADDRESS = "off"
    assert all(get(world, world.marketing).status_code == 200 for _ in range(20))


def test_the_window_ends_and_the_address_may_try_again(
    world: World, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.API_RATE_BAD_TOKENS = "2/min"
    assert [get_with("ll_wrong").status_code for _ in range(3)] == [401, 401, 429]
    monkeypatch.setattr(throttling, "clock", lambda: PINNED + 50)
    assert get(world, world.marketing).status_code == 200


def test_counts_start_again_with_each_window() -> None:
    rate = Rate(limit=2, period=60)
    start = 1_800_000_000.0  # a window boundary: a multiple of 60
    assert count_hit("t", "x", rate, now=start) == (1, 60.0)
    assert count_hit("t", "x", rate, now=start + 10) == (2, 50.0)
    assert count_hit("t", "x", rate, now=start + 59)[0] == 3
    assert count_hit("t", "x", rate, now=start + 60) == (1, 60.0)
    assert count_hit("t", "y", rate, now=start + 60) == (1, 60.0)


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("600/min", Rate(600, 60)),
        ("20/s", Rate(20, 1)),
        ("5000/hour", Rate(5000, 3600)),
        ("100000/day", Rate(100000, 86400)),
        ("off", None),
        ("", None),
    ],
)
def test_rates_are_requests_per_period(text: str, rate: Rate | None) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["600", "600/week", "many/min", "0/min", "-1/s"])
def test_an_unreadable_rate_says_how_to_write_one(text: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"e\.g\. 600/min"):
        parse_rate(text)


def test_check_names_the_unreadable_rate_setting(settings: Any) -> None:
    settings.API_RATE_PER_ADDRESS = "lots"
    problems = check_rates()
    assert [p.id for p in problems] == ["leadloop.E002"]
    assert "API_RATE_PER_ADDRESS" in problems[0].msg
