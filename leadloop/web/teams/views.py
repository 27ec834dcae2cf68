"""Team settings pages: the business calendar every SLA of a team is measured on.

Thin like the web app's pages: the form parses, `services.update_team_calendar`
validates and writes. The preview shows the saved calendar the way the SLA
clocks will read it, so a manager sees what her hours and holidays mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from leadloop.accounts.calendars import team_calendar
from leadloop.accounts.models import Team
from leadloop.accounts.services import (
    CALENDAR_FIELDS,
    calendar_team_ids,
    known_timezones,
    may_edit_calendar,
    set_handoff_weighting,
    update_team_calendar,
)
from leadloop.lib import pages
from leadloop.lib.businesscal import CalendarError
from leadloop.lib.errors import NotPermitted
from leadloop.lib.pages import current_user, page
from leadloop.web.teams.forms import CalendarForm

PREVIEW_DAYS = 10
# How far the preview looks for open days; a calendar closed for longer is shown as such.
PREVIEW_HORIZON = 366


@dataclass(frozen=True)
class OpenDay:
    day: date
    hours: str


@dataclass(frozen=True)
class DayOff:
    day: date
    name: str
    # False for a holiday on a day the team is closed anyway (a Sunday).
    closes: bool


def _hours_text(intervals: Any) -> str:
    return ", ".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in intervals)


def calendar_preview(team: Team, now: datetime) -> dict[str, Any]:
    """The next business days and days off of the team's saved calendar, in its zone."""
    try:
        cal = team_calendar(team)
    except CalendarError as exc:
        field = CALENDAR_FIELDS.get(exc.field, exc.field)
        return {"preview_error": f"The saved calendar is not valid ({field}): {exc.message}"}
    except ValueError as exc:  # a closure that is not a date, stored by hand
        return {"preview_error": f"The saved calendar is not valid (closures): {exc}"}
    today = now.astimezone(ZoneInfo(cal.tz)).date()
    last = today + timedelta(days=PREVIEW_HORIZON - 1)
    open_days: list[OpenDay] = []
    day = today
    while len(open_days) < PREVIEW_DAYS and day <= last:
        if cal.is_business_day(day):
            open_days.append(OpenDay(day=day, hours=_hours_text(cal.weekly[day.weekday()])))
        day += timedelta(days=1)
    names: dict[date, str] = {}
    if cal.holiday_country:
        public = holidays.country_holidays(
            cal.holiday_country,
            subdiv=cal.holiday_subdivision,
            years=range(today.year, today.year + 2),
        )
        names |= {d: str(name) for d, name in public.items() if d >= today}
    for d in cal.closures:
        if d >= today:
            names[d] = f"{names[d]} · own day off" if d in names else "Own day off"
    days_off = [
        DayOff(day=d, name=names[d], closes=d.weekday() in cal.weekly)
        for d in sorted(names)
        if d <= last
    ][:PREVIEW_DAYS]
    return {"open_days": open_days, "days_off": days_off, "preview_tz": cal.tz}


@require_GET
@page
def team_list(request: HttpRequest) -> HttpResponse:
    allowed = calendar_team_ids(current_user(request))
    if allowed is not None and not allowed:
        raise PermissionDenied
    teams = Team.objects.select_related("manager")
    if allowed is not None:
        teams = teams.filter(pk__in=allowed)
    return render(request, "accounts/team_list.html", {"teams": teams})


@require_http_methods(["GET", "POST"])
@page
def team_calendar_view(request: HttpRequest, team_id: int) -> HttpResponse:
    user = current_user(request)
    team = get_object_or_404(Team, pk=team_id)
    if not may_edit_calendar(user, team):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = CalendarForm(request.POST)
        if form.is_valid():
            try:
                update_team_calendar(team=team, actor=user, **form.service_kwargs())
            except ValidationError as exc:
                form.add_service_errors(exc.message_dict)
            except NotPermitted:
                raise PermissionDenied from None
            else:
                messages.success(request, f"Calendar of {team} saved.")
                return HttpResponseRedirect(reverse("accounts:team_calendar", args=[team.pk]))
        status = 422
    else:
        form = CalendarForm(initial=CalendarForm.initial_for(team))
    context = {
        "team": team,
        "form": form,
        "timezones": sorted(known_timezones()),
        **calendar_preview(team, pages.clock()),
    }
    return render(request, "accounts/team_calendar.html", context, status=status)


@require_POST
@page
def team_handoff_weighting(request: HttpRequest, team_id: int) -> HttpResponse:
    """The sales team's switch between round robin and feedback-weighted suggestions."""
    user = current_user(request)
    team = get_object_or_404(Team, pk=team_id)
    enabled = request.POST.get("weight_handoffs_by_feedback") == "on"
    try:
        set_handoff_weighting(team=team, actor=user, enabled=enabled)
    except NotPermitted:
        raise PermissionDenied from None
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    else:
        how = "weighted by each rep's feedback rate" if enabled else "plain round robin"
        messages.success(request, f"Handoff suggestions for {team}: {how}.")
    return HttpResponseRedirect(reverse("accounts:team_calendar", args=[team.pk]))
