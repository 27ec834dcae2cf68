"""Undoing an attempt logged by mistake, seconds after it was logged.

A rep who pressed `3` (no answer) for a call that connected takes it back at
once, before anything else happened on the lead: the activity goes, the
counters and the first-contact time it set go back, the first-contact clock it
stopped runs again, and the history says so (an `edited` event naming the
attempt and the counters, from and to). What the attempt set off beyond that (it
started work on a new lead, used up the attempt policy, breached a clock, or
told sales' producer) is history others may have seen: such an attempt stays,
and the refusal says why.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from leadloop.accounts.models import User
from leadloop.leads import states
from leadloop.leads.models import Lead, LeadEvent
from leadloop.leads.permissions import may_work
from leadloop.lib.errors import Conflict, NotPermitted
from leadloop.lib.times import utc
from leadloop.lifecycle import events
from leadloop.lifecycle.effects import COUNTED_EMAILS
from leadloop.lifecycle.locks import locked_lead
from leadloop.outreach.choices import CONNECT_OUTCOMES, ActivityKind
from leadloop.outreach.models import Activity
from leadloop.sla.choices import ClockKind, ClockResult
from leadloop.sla.models import SlaClock

# How long after logging an attempt its undo is offered and accepted.
UNDO_WINDOW = timedelta(seconds=15)


class NotUndoable(Conflict):
    """The attempt can no longer be taken back (too late, or something followed it)."""


def undo_activity(*, activity: int, actor: User, now: datetime) -> Lead:
    """Take back an attempt `actor` logged within UNDO_WINDOW on a lead with inside
    sales, if nothing happened on the lead since; returns the lead as it is after."""
    now = utc(now, "now")
    found = Activity.objects.filter(pk=activity).values_list("lead_id", flat=True).first()
    if found is None:
        raise ValidationError({"activity": f"no activity {activity}"})
    with transaction.atomic():
        lead = locked_lead(found)
        entry = Activity.objects.filter(pk=activity, lead_id=lead.pk).first()
        if entry is None:
            raise NotUndoable(f"activity {activity} was already undone")
        if entry.actor_id != actor.pk or not may_work(actor, lead):
            raise NotPermitted(f"{actor} may only undo attempts she logged herself.")
        _check_undoable(lead, entry, now)
        before = {name: getattr(lead, name) for name in _COUNTED}
        changes = _reverse(lead, entry)
        reopened = _reopen_first_contact(lead, entry)
        lead.updated_at = now
        lead.version += 1
        lead.save(update_fields=[*changes, "updated_at", "version"])
        label = entry.get_kind_display().lower() + (
            f" ({entry.get_outcome_display().lower()})" if entry.outcome else ""
        )
        entry.delete()
        data: dict[str, Any] = {
            "fields": {
                name: {"from": str(before[name]), "to": str(getattr(lead, name))}
                for name in changes
                if name in _COUNTED and before[name] != getattr(lead, name)
            },
            "note": f"undone: the {label} logged at {entry.created_at:%H:%M:%S} UTC"
            + (", and the first-contact clock it stopped runs again" if reopened else ""),
        }
        events.record(lead, [events.EventSpec(kind="edited", data=data)], at=now, actor=actor)
    return lead


_COUNTED = (
    "dials",
    "round_dials",
    "emails",
    "round_emails",
    "connects",
    "round_connects",
    "first_contact_at",
    "last_activity_at",
)


def _check_undoable(lead: Lead, entry: Activity, now: datetime) -> None:
    if now - entry.created_at > UNDO_WINDOW:
        raise NotUndoable(
            f"too late to undo: the {entry.get_kind_display().lower()} was logged "
            f"{int((now - entry.created_at).total_seconds())} s ago (undo works for "
            f"{int(UNDO_WINDOW.total_seconds())} s); log a note to correct it instead"
        )
    if lead.stage not in states.INSIDE_OPEN:
        raise NotUndoable("only attempts on leads still with inside sales can be undone")
    later = Activity.objects.filter(lead_id=lead.pk, created_at__gt=entry.created_at)
    if (
        later.exclude(pk=entry.pk).exists()
        or Activity.objects.filter(
            lead_id=lead.pk, created_at=entry.created_at, pk__gt=entry.pk
        ).exists()
    ):
        raise NotUndoable("another activity was logged after it; undo that one first")
    if LeadEvent.objects.filter(lead_id=lead.pk, at__gte=entry.created_at).exists():
        raise NotUndoable(
            "this attempt moved the lead on (it started work, used up the attempt "
            "policy or settled a clock) or the lead changed since; log a note instead"
        )


def _reverse(lead: Lead, entry: Activity) -> list[str]:
    """Undo the counters and times `effects.touch` set for this attempt."""
    changed: list[str] = []

    def down(name: str) -> None:
        setattr(lead, name, max(getattr(lead, name) - 1, 0))
        changed.append(name)

    if entry.kind == ActivityKind.CALL:
        down("dials")
        down("round_dials")
    if entry.kind == ActivityKind.EMAIL and entry.outcome in COUNTED_EMAILS:
        down("emails")
        down("round_emails")
    if entry.outcome in CONNECT_OUTCOMES:
        down("connects")
        down("round_connects")
    if lead.first_contact_at is not None and lead.first_contact_at == entry.created_at:
        lead.first_contact_at = None
        changed.append("first_contact_at")
    previous = (
        Activity.objects.filter(lead_id=lead.pk)
        .exclude(pk=entry.pk)
        .aggregate(last=Max("occurred_at"))["last"]
    )
    lead.last_activity_at = previous
    changed.append("last_activity_at")
    return changed


def _reopen_first_contact(lead: Lead, entry: Activity) -> bool:
    """The first-contact clock this attempt met runs again (a late one would have
    written a breach event, and is refused before)."""
    return bool(
        SlaClock.objects.filter(
            lead_id=lead.pk,
            kind=ClockKind.FIRST_CONTACT,
            stopped_at=entry.created_at,
            stopped_by=entry.kind,
            result=ClockResult.MET,
        ).update(result=ClockResult.RUNNING, stopped_at=None, stopped_by="")
    )


def undo_offer(*, lead: Lead, user: User, now: datetime) -> Activity | None:
    """The attempt `user` may still undo on `lead` right now, if any (for the page to
    offer its Undo button); the same rules as `undo_activity`, without a write."""
    if lead.stage not in states.INSIDE_OPEN or not may_work(user, lead):
        return None
    latest = (
        Activity.objects.filter(lead_id=lead.pk, created_at__gte=now - UNDO_WINDOW)
        .order_by("-created_at", "-pk")
        .first()
    )
    if latest is None or latest.actor_id != user.pk:
        return None
    try:
        _check_undoable(lead, latest, now)
    except NotUndoable:
        return None
    return latest
