from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from pydantic import StrictBool

from leadloop.accounts.choices import Role
from leadloop.accounts.models import Team, User
from leadloop.accounts.services import (
    may_edit_calendar,
    set_handoff_weighting,
    update_team_calendar,
)
from leadloop.api.auth import caller
from leadloop.api.schemas import ERRORS
from leadloop.lib.errors import NotPermitted

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


class CalendarOut(Schema):
    team: int
    timezone: str
    working_hours: dict[str, list[list[str]]]
    holiday_country: str
    holiday_subdivision: str
    closures: list[str]


class CalendarIn(Schema):
    """The settings to change; the ones left out keep their values."""

    timezone: str | None = Field(None, description="IANA time zone, e.g. Europe/Berlin")
    working_hours: dict[str, list[list[str]]] | None = Field(
        None,
        description='Per weekday, e.g. {"mon": [["09:00", "12:00"], ["13:00", "17:30"]]}; '
        "a day left out is closed.",
    )
    holiday_country: str | None = Field(None, description='ISO 3166 alpha-2, "" for none')
    holiday_subdivision: str | None = Field(None, description='e.g. BY, "" for national')
    closures: list[str] | None = Field(None, description="Own days off, YYYY-MM-DD")


CALENDAR_INPUTS = (
    "timezone",
    "working_hours",
    "holiday_country",
    "holiday_subdivision",
    "closures",
)


def calendar_json(team: Team) -> dict[str, Any]:
    return {
        "team": team.pk,
        "timezone": team.timezone,
        "working_hours": team.working_hours or {},
        "holiday_country": team.holiday_country,
        "holiday_subdivision": team.holiday_subdivision,
        "closures": list(team.closures or []),
    }


def _calendar_team(request: HttpRequest, team_id: int) -> tuple[User, Team]:
    """The team if the caller manages it (or is an admin); 403 otherwise."""
    user = caller(request)
    team = get_object_or_404(Team, pk=team_id)
    if not may_edit_calendar(user, team):
        raise NotPermitted(f"{user} may not see or change the calendar of {team}.")
    return user, team


@router.get(
    "/teams/{team_id}/calendar",
    response={200: CalendarOut, **ERRORS},
    summary="A team's business calendar",
)
def get_team_calendar(request: HttpRequest, team_id: int) -> Any:
    return calendar_json(_calendar_team(request, team_id)[1])


@router.put(
    "/teams/{team_id}/calendar",
    response={200: CalendarOut, **ERRORS},
    summary="Change a team's business calendar",
    description=(
        "Partial: the settings left out keep their values. The whole calendar is validated "
        "before anything is saved; 422 names the field (timezone, working_hours, "
        "holiday_country, holiday_subdivision, closures). Applies to SLA clocks started "
        "afterwards."
    ),
)
def put_team_calendar(request: HttpRequest, team_id: int, payload: CalendarIn) -> Any:
    user, team = _calendar_team(request, team_id)
    current = calendar_json(team)
    given = payload.dict(exclude_unset=True)
    for name, value in given.items():
        if value is None:
            raise ValidationError({name: "must not be null; leave it out to keep it"})
    values = {name: given.get(name, current[name]) for name in CALENDAR_INPUTS}
    return calendar_json(update_team_calendar(team=team, actor=user, **values))


class HandoffWeighting(Schema):
    weight_handoffs_by_feedback: StrictBool = Field(
        description="Suggest this sales team's reps in proportion to their 90-day feedback "
        "rate instead of plain round robin."
    )


class HandoffWeightingOut(HandoffWeighting):
    team: int


@router.get(
    "/teams/{team_id}/handoff-weighting",
    response={200: HandoffWeightingOut, **ERRORS},
    summary="How a sales team's handoff suggestions pick reps",
)
def get_handoff_weighting(request: HttpRequest, team_id: int) -> Any:
    team = _calendar_team(request, team_id)[1]
    return {"team": team.pk, "weight_handoffs_by_feedback": team.weight_handoffs_by_feedback}


@router.put(
    "/teams/{team_id}/handoff-weighting",
    response={200: HandoffWeightingOut, **ERRORS},
    summary="Weight a sales team's handoff suggestions by feedback, or not",
    description="The team's manager or an admin; 422 for a teleprospecting team.",
)
def put_handoff_weighting(request: HttpRequest, team_id: int, payload: HandoffWeighting) -> Any:
    user, team = _calendar_team(request, team_id)
    team = set_handoff_weighting(team=team, actor=user, enabled=payload.weight_handoffs_by_feedback)
    return {"team": team.pk, "weight_handoffs_by_feedback": team.weight_handoffs_by_feedback}
