"""Who hears of what happens to a lead: the loop back to the person who produced it.

Seed 000: an inside rep who handed a lead off hears of everything that
happens to it afterwards (moves, sales activities, missed sales SLAs,
purgatory flags), by the channel she chose on her settings page. Every
action that concerns someone goes through here; the notification rows are
written by `notifications.services.write`, the one writer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from leadloop.accounts.models import User
from leadloop.leads.models import Lead, LeadEvent
from leadloop.notifications.choices import NotificationKind
from leadloop.notifications.models import Notification
from leadloop.notifications.services import notify


def actor_name(actor: User | None) -> str:
    return str(actor) if actor is not None else "leadloop"


def tell(
    users: list[User | int | None],
    *,
    lead: Lead | int,
    now: datetime,
    kind: str = NotificationKind.LEAD_EVENT,
    event: LeadEvent | None = None,
    **data: Any,
) -> list[Notification]:
    """Notify `users` about `lead` (empty data values are left out); emails after commit."""
    lead_id = lead if isinstance(lead, int) else lead.pk
    told = notify(
        users=users,
        kind=kind,
        now=now,
        lead_id=lead_id,
        event_id=event.pk if event is not None else None,
        data={k: v for k, v in data.items() if v not in (None, "")},
    )
    return told


def producer(lead: Lead, *, or_owner: bool = False) -> int | None:
    """The inside rep who produced the lead: who handed it off, else (if asked) who owns it."""
    if lead.handed_off_by_id is not None:
        return lead.handed_off_by_id
    return lead.owner_id if or_owner else None


def tell_producer(
    lead: Lead,
    *,
    actor: User | None,
    now: datetime,
    or_owner: bool = False,
    event: LeadEvent | None = None,
    **data: Any,
) -> list[Notification]:
    """Tell the rep who produced the lead, unless she did it herself."""
    who = producer(lead, or_owner=or_owner)
    if who is None or (actor is not None and actor.pk == who):
        return []
    return tell([who], lead=lead, now=now, event=event, actor=actor_name(actor), **data)


def of_move(
    lead: Lead,
    *,
    event: LeadEvent,
    actor: User | None,
    now: datetime,
    reason: str = "",
    handoff: dict[str, Any] | None = None,
) -> None:
    """A hand-off tells the sales rep (with the write-up); any other move on a lead an
    inside rep produced tells her, whoever made it."""
    if handoff is not None:
        tell(
            [lead.sales_rep_id],
            lead=lead,
            now=now,
            kind=NotificationKind.HANDOFF,
            event=event,
            **handoff,
        )
        return
    tell_producer(
        lead, actor=actor, now=now, event=event, reason=reason, note=event.data.get("note")
    )
