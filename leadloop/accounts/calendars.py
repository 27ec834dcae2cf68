"""A team's business calendar, built from its settings for the pure businesscal module."""

from __future__ import annotations

from datetime import date

from leadloop.accounts.models import Team
from leadloop.lib.businesscal import Calendar, parse_weekly

_CACHE: dict[tuple[object, ...], Calendar] = {}


def team_calendar(team: Team) -> Calendar:
    """The team's calendar; building one validates it, so it is cached by its settings."""
    closures = frozenset(date.fromisoformat(d) for d in (team.closures or []))
    key = (
        team.timezone,
        repr(sorted((team.working_hours or {}).items())),
        team.holiday_country,
        team.holiday_subdivision,
        closures,
    )
    cal = _CACHE.get(key)
    if cal is None:
        cal = Calendar(
            tz=team.timezone,
            weekly=parse_weekly(team.working_hours or {}),
            holiday_country=team.holiday_country or None,
            holiday_subdivision=team.holiday_subdivision or None,
            closures=closures,
        )
        if len(_CACHE) > 256:
            _CACHE.clear()
        _CACHE[key] = cal
    return cal
