"""Small template helpers: stage badges, role names, lead-list links."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from leadloop.accounts.choices import Role
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


@register.filter
def role_is(user: Any, roles: str) -> bool:
    """Whether the user has one of the comma-separated roles (admins count as every role)."""
    role = getattr(user, "role", None)
    return role is not None and (role == Role.ADMIN or role in roles.split(","))


@register.filter
def signed(points: Any) -> str:
    """Points as a person reads them: +12, minus 8 with a real minus sign, 0."""
    try:
        return scoring_rules.signed(int(points))
    except (TypeError, ValueError):
        return ""
