from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Query, Router, Schema

from leadloop.accounts.choices import Role
from leadloop.accounts.models import User
from leadloop.api.schemas import ERRORS

router = Router(tags=["reference"])


class UserOut(Schema):
    id: int
    username: str
    name: str
    email: str
    role: str | None
    team: int | None
    is_active: bool


@router.get("/users", response={200: list[UserOut], **ERRORS}, summary="Users, by role")
def list_users(
    request: HttpRequest,
    role: str | None = Query(None, description="marketing, inside_rep, sales_rep, manager, admin"),
    team: int | None = None,
) -> Any:
    from django.contrib.auth.models import Group

    qs = User.objects.prefetch_related(
        Prefetch("groups", queryset=Group.objects.filter(name__in=Role.values))
    )
    if role:
        if role not in Role.values:
            raise ValidationError(
                {"role": f"unknown role '{role}'; one of {', '.join(Role.values)}"}
            )
        qs = qs.filter(groups__name=role)
    if team:
        qs = qs.filter(team_id=team)
    out = []
    for u in qs:
        names = [g.name for g in u.groups.all()]
        out.append(
            {
                "id": u.pk,
                "username": u.username,
                "name": u.get_full_name(),
                "email": u.email,
                "role": names[0] if names else None,
                "team": u.team_id,
                "is_active": u.is_active,
            }
        )
    return out
