"""Reads about people: who has which role, who is on which team."""

from __future__ import annotations

from django.db.models import QuerySet

from leadloop.accounts.choices import Role
from leadloop.accounts.models import Team, User


def users_with_role(role: str) -> QuerySet[User]:
    return User.objects.filter(groups__name=role)


def active_reps(team: Team, role: str) -> QuerySet[User]:
    return users_with_role(role).filter(team=team, is_active=True)


def has_role(user: User, *roles: str) -> bool:
    if user.is_superuser and Role.ADMIN in roles:
        return True
    return user.role in roles


def managed_team_ids(user: User) -> set[int]:
    """Teams a manager manages: the ones she is manager of, and her own team."""
    ids = set(Team.objects.filter(manager=user).values_list("id", flat=True))
    if user.team_id is not None:
        ids.add(user.team_id)
    return ids
