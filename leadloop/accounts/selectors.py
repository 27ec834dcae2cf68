"""Reads about people: who has which role, who is on which team."""

from __future__ import annotations

from django.db.models import Q, QuerySet

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


def relevant_team_ids(user: User) -> set[int] | None:
    """Teams whose leads the user can meet: her own and the teams paired with them.

    None means every team (admin, marketing). This only narrows filter
    choices; what the user sees is still decided by `visible_leads`.
    """
    role = user.role
    if role in (Role.ADMIN, Role.MARKETING) or user.is_superuser:
        return None
    own = (
        managed_team_ids(user)
        if role == Role.MANAGER
        else ({user.team_id} if user.team_id is not None else set())
    )
    if not own:
        return set()
    paired = Team.feeds.through.objects.filter(
        Q(from_team_id__in=own) | Q(to_team_id__in=own)
    ).values_list("from_team_id", "to_team_id")
    ids = set(own)
    for from_id, to_id in paired:
        ids.update((from_id, to_id))
    return ids
