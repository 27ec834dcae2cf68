"""Bearer-token authentication; tokens are compared by their SHA-256 digest."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from leadloop.accounts.models import User
from leadloop.accounts.services import user_for_token


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is None:
            return None
        request.user = user
        return user


def caller(request: HttpRequest) -> User:
    """The user a request authenticated as; every API route requires a token."""
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user
