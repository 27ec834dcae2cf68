"""Writes about people: creating users with a role, issuing API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery

from leadloop.accounts.choices import Role
from leadloop.accounts.models import ApiToken, Team, User

TOKEN_PREFIX = "ll_"


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def create_user(
    *,
    username: str,
    role: str,
    team: Team | None = None,
    password: str | None = None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    timezone: str = "",
) -> User:
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role '{role}'; one of {', '.join(Role.values)}."})
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        team=team,
        timezone=timezone,
        is_staff=role in (Role.ADMIN, Role.MANAGER),
        is_superuser=role == Role.ADMIN,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    set_role(user=user, role=role)
    return user


def set_role(*, user: User, role: str) -> None:
    """Put the user in exactly one role group."""
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role '{role}'."})
    groups = Group.objects.filter(name__in=Role.values)
    user.groups.remove(*groups)
    user.groups.add(Group.objects.get(name=role))
    if hasattr(user, "_role_cache"):
        del user._role_cache


def create_token(*, user: User, now: datetime, name: str = "") -> tuple[ApiToken, str]:
    """A new token; the secret is returned once and only its digest is kept."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, digest=token_digest(secret), prefix=secret[:10], created_at=now
    )
    return token, secret


def user_for_token(secret: str) -> User | None:
    """The token's active user, her role read in the same query.

    Every API request starts here, so the role (a group membership) comes
    along as a subquery instead of costing a query of its own.
    """
    role = Group.objects.filter(user=OuterRef("user_id"), name__in=Role.values).values("name")
    token = (
        ApiToken.objects.select_related("user")
        .annotate(role_name=Subquery(role[:1]))
        .filter(digest=token_digest(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    user = token.user
    role_name = token.role_name
    user._role_cache = role_name or (Role.ADMIN.value if user.is_superuser else None)
    return user
