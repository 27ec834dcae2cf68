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
from abc import ABC, abstractmethod

from django.conf import settings
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from leadloop.accounts.models import ApiToken
from leadloop.lib.clients import client_address
from leadloop.lib.ratelimit import Rate, count_hit, hits_so_far, parse_rate

__all__ = ["Rate", "clock", "count_hit", "hits_so_far", "parse_rate"]


def clock() -> float:
    """Now, in seconds since the epoch; tests pin it."""
    return time.time()


class WindowThrottle(BaseThrottle, ABC):
    """A django-ninja throttle counting in fixed windows; the rate is the setting `rate_setting`.

    One instance serves every request of the process, so the wait it
    reports (ninja asks for it right after refusing) is kept per thread.
    """

    scope = ""
    rate_setting = ""

    def __init__(self) -> None:
        self._last = threading.local()

    @abstractmethod
    def identify(self, request: HttpRequest) -> str | None:
        """Whose count this request adds to; None for one the limit does not cover."""

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
