"""Bearer-token authentication; tokens are compared by their SHA-256 digest.

A request authenticates as its token (`request.auth`), so the rate limits
count per token and a read-only token can be told from a full one; the
user is `caller(request)`.
"""

from __future__ import annotations

import math

from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError, Throttled
from ninja.security import HttpBearer

from leadloop.accounts.models import ApiToken, User
from leadloop.accounts.services import TokenRefused, check_token
from leadloop.api import throttling
from leadloop.lib.clients import client_address
from leadloop.lib.errors import NotPermitted

# What a read-only token may do: read.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class BearerToken(HttpBearer):
    def __call__(self, request: HttpRequest) -> ApiToken | None:
        """Refuse an address that keeps failing (429) before looking its token up.

        Every refusal (no token, an unknown, revoked or expired one) counts
        against the client's address; past API_RATE_BAD_TOKENS in a window
        it is answered 429 until the window ends: a guesser gets a few tries
        a minute, and the database never sees the rest.
        """
        address = client_address(request)
        wait = throttling.bad_token_wait(address, now=throttling.clock())
        if wait is not None:
            raise Throttled(wait=math.ceil(wait))
        try:
            token: ApiToken | None = super().__call__(request)
        except AuthenticationError:
            throttling.record_bad_token(address, now=throttling.clock())
            raise
        if token is None:
            throttling.record_bad_token(address, now=throttling.clock())
        return token

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        try:
            found = check_token(token, now=timezone.now())
        except TokenRefused as refused:
            raise AuthenticationError(message=str(refused)) from None
        if found.read_only and request.method not in READ_METHODS:
            raise NotPermitted(
                f"This token ({found.prefix}…) is read-only: it may only read (GET). "
                "Use a token created without --read-only to make changes."
            )
        request.user = found.user
        return found


def caller(request: HttpRequest) -> User:
    """The user a request authenticated as; every API route requires a token."""
    token = request.auth  # type: ignore[attr-defined]
    assert isinstance(token, ApiToken)
    return token.user
