"""API rate limits: per token, per client address, and refused tokens per address.

The rates are settings (API_RATE_PER_TOKEN, API_RATE_PER_ADDRESS,
API_RATE_BAD_TOKENS; README, "Limits"), read at each request so a test can
lower one with a settings override. Requests are counted in fixed windows
of the rate's period in Django's cache: one atomic increment per limit and
request, whatever the rate. The cache is the process's own memory unless
REDIS_URL points every web process at one Redis (config/settings.py).

django-ninja runs throttles after authentication, so the two token limits
hook into its throttling (a 429 with Retry-After, from its Throttled
error), while refused tokens are counted by the authentication itself
(leadloop.api.auth): a client that keeps sending tokens that do not work
is answered 429 before any token of it is looked up.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from leadloop.accounts.models import ApiToken
from leadloop.lib.clients import client_address

_PERIODS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}


def clock() -> float:
    """Now, in seconds since the epoch; tests pin it."""
    return time.time()


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int  # seconds


@lru_cache(maxsize=32)
def parse_rate(text: str | None) -> Rate | None:
    """`600/min` as Rate(600, 60); empty or `off` is no limit. Periods: s, min, hour, day."""
    raw = (text or "").strip().lower()
    if raw in {"", "off", "none"}:
        return None
    count, _, unit = raw.partition("/")
    period = _PERIODS.get(unit.strip())
    if not count.strip().isdigit() or period is None or int(count) < 1:
        raise ImproperlyConfigured(
            f"API rate '{text}': write requests per period, e.g. 600/min, 20/s, 10000/day, or 'off'"
        )
    return Rate(limit=int(count), period=period)


def _key(scope: str, ident: str, rate: Rate, now: float) -> tuple[str, float]:
    """The counter of the window `now` falls in, and the seconds until that window ends."""
    window = int(now // rate.period)
    return f"leadloop:rate:{scope}:{ident}:{window}", (window + 1) * rate.period - now


def count_hit(scope: str, ident: str, rate: Rate, *, now: float) -> tuple[int, float]:
    """Count one request; the window's count so far and the seconds left in the window."""
    key, left = _key(scope, ident, rate, now)
    # add() is atomic and only the first request of a window wins it; the
    # others increment. The key outlives its window by a second, never less.
    if cache.add(key, 1, timeout=rate.period + 1):
        return 1, left
    try:
        return cache.incr(key), left
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=rate.period + 1)
        return 1, left


def hits_so_far(scope: str, ident: str, rate: Rate, *, now: float) -> tuple[int, float]:
    """The window's count without counting; and the seconds left in the window."""
    key, left = _key(scope, ident, rate, now)
    return int(cache.get(key, 0)), left


class WindowThrottle(BaseThrottle):
    """A django-ninja throttle counting in fixed windows; the rate is the setting `rate_setting`.

    One instance serves every request of the process, so the wait it
    reports (ninja asks for it right after refusing) is kept per thread.
    """

    scope = ""
    rate_setting = ""

    def __init__(self) -> None:
        self._last = threading.local()

    def identify(self, request: HttpRequest) -> str | None:
        raise NotImplementedError

    def allow_request(self, request: HttpRequest) -> bool:
        rate = parse_rate(getattr(settings, self.rate_setting, None))
        ident = self.identify(request)
        if rate is None or ident is None:
            return True
        count, left = count_hit(self.scope, ident, rate, now=clock())
        self._last.wait = left
        return count <= rate.limit

    def wait(self) -> float | None:
        return getattr(self._last, "wait", None)


class PerToken(WindowThrottle):
    """Requests per token: one integration cannot starve the others."""

    scope = "token"
    rate_setting = "API_RATE_PER_TOKEN"

    def identify(self, request: HttpRequest) -> str | None:
        token = getattr(request, "auth", None)
        return str(token.pk) if isinstance(token, ApiToken) else None


class PerAddress(WindowThrottle):
    """Requests per client address, whatever tokens it uses."""

    scope = "address"
    rate_setting = "API_RATE_PER_ADDRESS"

    def identify(self, request: HttpRequest) -> str | None:
        return client_address(request) or None


# ---------------------------------------------------------------- refused tokens

BAD_TOKENS = "bad-token"


def bad_token_wait(address: str, *, now: float) -> float | None:
    """Seconds until `address` may present tokens again; None when it may now."""
    rate = parse_rate(settings.API_RATE_BAD_TOKENS)
    if rate is None or not address:
        return None
    count, left = hits_so_far(BAD_TOKENS, address, rate, now=now)
    return left if count >= rate.limit else None


def record_bad_token(address: str, *, now: float) -> None:
    """Count a request whose token was missing, unknown, revoked or expired."""
    rate = parse_rate(settings.API_RATE_BAD_TOKENS)
    if rate is not None and address:
        count_hit(BAD_TOKENS, address, rate, now=now)
