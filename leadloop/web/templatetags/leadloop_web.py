"""Small template helpers: stage badges, role names, lead-list links."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from leadloop.accounts.choices import Role, TeamKind
from leadloop.accounts.models import Team
from leadloop.accounts.selectors import managed_team_ids
from leadloop.campaigns.choices import Channel
from leadloop.leads.choices import Stage
from leadloop.leads.states import INSIDE_OPEN, SALES_OPEN
from leadloop.scoring import rules as scoring_rules

register = template.Library()


def stage_group(stage: str) -> str:
    """Colour family of a stage: who has the lead now, or how it ended."""
    if stage in INSIDE_OPEN:
        return "inside"
    if stage in SALES_OPEN:
        return "sales"
    if stage == Stage.WON:
        return "won"
    if stage in (Stage.UNREACHABLE, Stage.DUPLICATE):
        return "parked"
    return "lost"


@register.simple_tag
def stage_badge(stage: str) -> SafeString:
    label = Stage(stage).label if stage in Stage.values else stage
    return format_html(
        '<span class="badge badge-{}" data-stage="{}">{}</span>', stage_group(stage), stage, label
    )


@register.filter
def stage_label(stage: str) -> str:
    return str(Stage(stage).label) if stage in Stage.values else stage


@register.filter
def channel_label(channel: str) -> str:
    return str(Channel(channel).label) if channel in Channel.values else channel


@register.filter
def role_label(user: Any) -> str:
    role = getattr(user, "role", None)
    return str(Role(role).label) if role in Role.values else "No role"


@register.simple_tag
def leads_url(**params: Any) -> str:
    """The lead list filtered by `params`; empty values are left out."""
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    url = reverse("web:lead_list")
    return f"{url}?{query}" if query else url


@register.filter
def overdue(lead: Any, now: Any) -> bool:
    """With inside sales, not contacted this round, and past its first-contact deadline."""
    return bool(
        lead.first_contact_due is not None
        and lead.first_contact_at is None
        and lead.stage in INSIDE_OPEN
        and lead.first_contact_due < now
    )


@register.filter
def business_span(value: Any) -> str:
    """A business-time span as people say it: "3 h 20 min"; the sign is dropped."""
    if value is None:
        return "—"
    minutes = int(abs(value).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours >= 24:
        # "88 days", not "2118 h": past a day, hours are hard to read.
        days = hours // 24
        return f"{days} day{'s' if days != 1 else ''}"
    if hours and minutes:
        return f"{hours} h {minutes} min"
    if hours:
        return f"{hours} h"
    return f"{minutes} min"


CLOCK_STATE_LABELS = {
    "running": "Running",
    "at_risk": "At risk",
    "breached": "Breached",
    "met": "Met",
    "cancelled": "Cancelled",
}


@register.simple_tag
def clock_badge(state: str) -> SafeString:
    return format_html(
        '<span class="clock clock-{}">{}</span>', state, CLOCK_STATE_LABELS.get(state, state)
    )


def _team_kinds(user: Any) -> set[str]:
    """Kinds of the teams a manager runs, asked once per request (cached on the user)."""
    cached = getattr(user, "_managed_team_kinds", None)
    if cached is None:
        cached = set(
            Team.objects.filter(pk__in=managed_team_ids(user)).values_list("kind", flat=True)
        )
        user._managed_team_kinds = cached
    return cached


@register.filter
def works_queue(user: Any) -> bool:
    """Whether the Queue menu leads somewhere: an inside rep, a teleprospecting
    manager (her reps' queues) or an admin; not a sales manager, whose team has no queue."""
    role = getattr(user, "role", None)
    if role in (Role.INSIDE_REP, Role.ADMIN) or getattr(user, "is_superuser", False):
        return True
    return role == Role.MANAGER and TeamKind.TELEPROSPECTING in _team_kinds(user)


@register.filter
def works_sales(user: Any) -> bool:
    """Whether the sales inbox and cadence tasks are her work: a sales rep, a
    sales manager or an admin."""
    role = getattr(user, "role", None)
    if role in (Role.SALES_REP, Role.ADMIN) or getattr(user, "is_superuser", False):
        return True
    return role == Role.MANAGER and TeamKind.SALES in _team_kinds(user)


@register.filter
def role_is(user: Any, roles: str) -> bool:
    """Whether the user has one of the comma-separated roles (admins count as every role)."""
    role = getattr(user, "role", None)
    return role is not None and (role == Role.ADMIN or role in roles.split(","))


@register.filter
def not_found_reason(exception: Any) -> str:
    """A 404's reason for people: the app's own message ("No report 'x'."), never a
    resolver's class name."""
    text = str(exception or "")
    if not text or text in ("Resolver404", "Http404") or text.startswith("{"):
        return "There is no page at this address. It may have moved, or the link was mistyped."
    return text


@register.filter
def money(value: Any) -> str:
    """An amount with its currency and thousands separators: "EUR 43,200"."""
    if value is None or value == "":
        return "—"
    amount = float(value)
    text = f"{amount:,.0f}" if amount == int(amount) or abs(amount) >= 100 else f"{amount:,.2f}"
    return f"{settings.LEADLOOP_CURRENCY} {text}"


@register.filter
def attribute_value(value: Any) -> str:
    """A custom attribute as a person reads it: yes/no, not Python's True/False; empty as —."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "":
        return "—"
    return str(value)


@register.filter
def signed(points: Any) -> str:
    """Points as a person reads them: +12, minus 8 with a real minus sign, 0."""
    try:
        return scoring_rules.signed(int(points))
    except (TypeError, ValueError):
        return ""
