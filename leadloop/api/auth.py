"""Bearer-token authentication; tokens are compared by their SHA-256 digest.

A request authenticates as its token (`request.auth`), so a read-only
token can be told from a full one; the user is `caller(request)`.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from leadloop.accounts.models import ApiToken, User
from leadloop.accounts.services import TokenRefused, check_token
from leadloop.lib.errors import NotPermitted

# What a read-only token may do: read.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class BearerToken(HttpBearer):
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
