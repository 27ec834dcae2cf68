"""The webhook rules that need no database: which type an event has, when to retry,
which addresses may be called. Every function takes `now` when it needs a time."""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from leadloop.leads.choices import Action, EventKind
from leadloop.webhooks.choices import ALL, EventType

# The Standard Webhooks example schedule: the delay before each attempt, the
# first one immediate. After the last one fails the delivery is failed.
SCHEDULE = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(SCHEDULE)
# A retry comes up to this share of its delay late (never early: the schedule,
# and the 3 days before an endpoint is disabled, are minimums), so that many
# deliveries failing together do not all come back in the same second.
JITTER = 0.1
# An endpoint that has failed every attempt for this long is disabled.
FAILING_LIMIT = timedelta(days=3)
# A Retry-After longer than this is not honoured beyond it.
RETRY_AFTER_CAP = timedelta(hours=24)
# Rotating a secret keeps signing with the old one this long.
ROTATION_OVERLAP = timedelta(hours=24)
TIMEOUT_SECONDS = 10.0
# How much of a response body is kept in the delivery log (and read at all).
RESPONSE_KEPT = 1024

# Feedback is what sales says happened to a lead it was handed.
FEEDBACK_ACTIONS = frozenset(
    {
        Action.ACCEPT,
        Action.REJECT,
        Action.MEETING_HELD,
        Action.NO_SHOW,
        Action.OPEN_OPPORTUNITY,
        Action.WIN,
        Action.LOSE,
    }
)
_BY_KIND: dict[str, str] = {
    EventKind.CREATED: EventType.LEAD_CREATED,
    EventKind.SUBMITTED_AGAIN: EventType.LEAD_SUBMITTED_AGAIN,
    EventKind.RETURNED: EventType.LEAD_RETURNED,
    EventKind.ASSIGNED: EventType.LEAD_ASSIGNED,
    EventKind.ACTIVITY: EventType.LEAD_ACTIVITY_LOGGED,
    EventKind.QUALIFICATION: EventType.LEAD_QUALIFICATION_ANSWERED,
    EventKind.SCORE_CHANGED: EventType.LEAD_SCORE_CHANGED,
    EventKind.EDITED: EventType.LEAD_EDITED,
    EventKind.FEEDBACK: EventType.LEAD_FEEDBACK_RECORDED,
    EventKind.SLA_AT_RISK: EventType.SLA_AT_RISK,
    EventKind.SLA_BREACHED: EventType.SLA_BREACHED,
    EventKind.ESCALATED: EventType.SLA_BREACHED,
}


def event_type(kind: str, action: str = "") -> str | None:
    """The webhook type of a lead event; None for events no endpoint is sent
    (the rows an import writes: an import sends one `import.finished`)."""
    if kind == EventKind.TRANSITION:
        if action == Action.HAND_OFF:
            return EventType.LEAD_HANDED_OFF
        if action in FEEDBACK_ACTIONS:
            return EventType.LEAD_FEEDBACK_RECORDED
        return EventType.LEAD_STAGE_CHANGED
    return _BY_KIND.get(kind)


def subscribable() -> list[str]:
    return [t.value for t in EventType if t != EventType.WEBHOOK_TEST]


def clean_event_types(values: Iterable[str]) -> list[str]:
    """The event types an endpoint asks for, checked: a list of known types or `["*"]`."""
    values = [str(v).strip() for v in values if str(v).strip()]
    if not values:
        raise ValidationError({"events": "name at least one event type, or * for all"})
    if ALL in values:
        return [ALL]
    known = set(subscribable())
    unknown = sorted(set(values) - known)
    if unknown:
        listed = ", ".join(sorted(known))
        raise ValidationError(
            {"events": f"unknown event type {', '.join(unknown)}; known: {listed}"}
        )
    return sorted(set(values))


def wants(event_types: str, type_: str) -> bool:
    """Does an endpoint's stored type list (" a b " or "*") take this type? A test
    event goes to the endpoint it is sent to, whatever it asked for."""
    return event_types.strip() == ALL or f" {type_} " in event_types


def retry_delay(attempts: int, *, rng: random.Random | None = None) -> timedelta | None:
    """How long after the `attempts`-th failed attempt the next one is due; None: give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    base = SCHEDULE[attempts]
    spread = base.total_seconds() * JITTER
    jitter = (rng or random).uniform(0, spread) if spread else 0.0
    return base + timedelta(seconds=jitter)


def retry_after(header: str | None, *, now: datetime) -> timedelta | None:
    """The wait a 429 or 503 asks for, in seconds or as an HTTP date; capped."""
    if not header:
        return None
    header = header.strip()
    wait: timedelta | None = None
    if header.isdigit():
        wait = timedelta(seconds=int(header))
    else:
        try:
            when = parsedate_to_datetime(header)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        wait = max(when - now, timedelta(0))
    return min(wait, RETRY_AFTER_CAP)


def address_refusal(address: str) -> str | None:
    """Why a webhook may not be sent to this IP address (None: it may)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    checks = (
        ("loopback", ip.is_loopback),
        ("private", ip.is_private),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("unspecified", ip.is_unspecified),
        ("not globally reachable", not ip.is_global),
    )
    for name, hit in checks:
        if hit:
            return f"{ip} is a {name} address"
    return None


def url_refusal(url: str) -> str | None:
    """Why a URL can never be a webhook endpoint, before any DNS (None: it may be)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "not a valid URL"
    if parts.scheme not in ("http", "https"):
        return "only http and https URLs are allowed"
    if not parts.hostname:
        return "the URL has no host"
    if parts.username or parts.password:
        return "the URL may not carry a user name or password"
    if port == 0:
        return "the URL's port is not valid"
    if len(url) > 500:
        return "the URL is longer than 500 characters"
    return None
