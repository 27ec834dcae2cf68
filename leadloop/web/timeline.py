"""A lead's history as a person reads it: events and activities in one list, newest first.

A returning prospect's earlier inquiries (and a closed lead's later ones)
are part of her history: their events and activities are in the same list,
marked with the lead they happened on, as far as the reader may see them.
An activity logged later than it happened says both times.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.dateformat import format as date_format

from leadloop.accounts.models import User
from leadloop.campaigns.choices import Channel
from leadloop.leads.choices import Action, EventKind, Stage
from leadloop.leads.models import Lead, LeadEvent
from leadloop.leads.selectors import related_inquiries
from leadloop.outreach.models import Activity
from leadloop.sla.choices import ClockKind

# An activity logged more than this after it happened shows when it was logged.
LOGGED_LATER = timedelta(minutes=5)


@dataclass
class TimelineItem:
    at: datetime
    who: User | None
    kind: str
    title: str
    css: str
    lines: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""
    order: int = 0
    # Set on the history of another inquiry of the same person.
    on_lead: Lead | None = None


# Event data that names a person by id, and how the timeline labels it.
PERSON_KEYS = {
    "owner": "Owner",
    "previous_owner": "Previous owner",
    "sales_rep": "Sales rep",
    "to": "Escalated to",
}

DATA_LABELS = {
    "import": "Import",
    "file": "File",
    "line": "Line",
    "lines": "Lines",
    "imported": "Imported by import",
    "owner_in_file": "Owner in the file",
    "reason_in_file": "Reason in the file",
    "meeting_at": "Meeting",
    "amount": "Amount",
    "revenue": "Revenue",
    "next_touch_on": "Next touch",
    "expected_close_on": "Expected close",
    "duplicate_of": "Duplicate of lead",
    "previous_lead": "Earlier inquiry, lead",
    "new_lead": "New inquiry, lead",
    "why": "Why",
    "campaign": "Campaign",
    "channel": "Channel",
    "clock": "SLA",
    "stopped_by": "Stopped by",
}


def _event_item(event: LeadEvent, names: dict[int, str]) -> TimelineItem:
    data = dict(event.data or {})
    lines: list[tuple[str, str]] = []
    if event.kind == EventKind.TRANSITION:
        title = (
            f"{Action(event.action).label}"
            if event.action in Action.values
            else (event.action or "Stage changed")
        )
        lines.append(
            ("Stage", f"{_stage_label(event.from_stage)} → {_stage_label(event.to_stage)}")
        )
        css = "transition"
    else:
        title = event.get_kind_display()
        css = event.kind
    if event.reason_code is not None:
        lines.append(("Reason", event.reason_code.label))
    for key, label in PERSON_KEYS.items():
        if key in data:
            pk = data.pop(key)
            lines.append((label, names.get(pk, "nobody") if pk else "nobody"))
    answers = data.pop("answers", None)
    if isinstance(answers, dict):
        lines += [(str(k).title(), str(v)) for k, v in answers.items()]
    submitted = data.pop("submitted", None)
    if isinstance(submitted, dict):
        lines.append(("Submitted", ", ".join(f"{k}: {v}" for k, v in submitted.items())))
    edited = data.pop("fields", None)
    if isinstance(edited, dict):
        lines += [
            (str(name).replace("_", " ").capitalize(), f"{change.get('from')} → {change.get('to')}")
            for name, change in edited.items()
            if isinstance(change, dict)
        ]
    note = str(data.pop("note", "") or "")
    for key, value in data.items():
        if key in ("campaign", "clock_id", "definition"):
            continue  # shown on the lead itself, or internal
        label = DATA_LABELS.get(key, key.replace("_", " ").capitalize())
        lines.append((label, _readable(key, value)))
    return TimelineItem(
        at=event.at,
        who=event.actor,
        kind="event",
        title=title,
        css=css,
        lines=lines,
        note=note,
        order=event.pk,
    )


def _readable(key: str, value: Any) -> str:
    """Event data as a person reads it: ISO date-times in her zone, the rest as is."""
    if key == "channel" and value in Channel.values:
        return str(Channel(value).label)
    if key in ("clock", "stopped_by") and value in ClockKind.values:
        return str(ClockKind(value).label)
    if key.endswith("_at") and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_aware(moment):
            return _when(moment)
    return str(value)


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "D j M Y, H:i")


def _stage_label(stage: str) -> str:
    return Stage(stage).label if stage in Stage.values else (stage or "—")


def _activity_item(activity: Activity) -> TimelineItem:
    title = activity.get_kind_display()
    if activity.outcome:
        title += f" · {activity.get_outcome_display()}"
    lines = []
    if activity.created_at - activity.occurred_at > LOGGED_LATER:
        lines.append(("Logged", _when(activity.created_at)))
    return TimelineItem(
        at=activity.occurred_at,
        who=activity.actor,
        kind="activity",
        title=title,
        css=f"activity {activity.kind}",
        lines=lines,
        note=activity.note,
        order=activity.pk,
    )


def _items(leads: Iterable[Lead]) -> list[TimelineItem]:
    by_id = {lead.pk: lead for lead in leads}
    events = list(
        LeadEvent.objects.filter(lead_id__in=by_id)
        .select_related("reason_code", "actor")
        .order_by("at", "id")
    )
    ids = {
        int(e.data[k])
        for e in events
        for k in PERSON_KEYS
        if isinstance(e.data, dict) and isinstance(e.data.get(k), int)
    }
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=ids)} if ids else {}
    items = []
    for event in events:
        item = _event_item(event, names)
        item.on_lead = by_id[event.lead_id]
        items.append(item)
    for activity in Activity.objects.filter(lead_id__in=by_id).select_related("actor"):
        item = _activity_item(activity)
        item.on_lead = by_id[activity.lead_id]
        items.append(item)
    return items


def timeline(lead: Lead, reader: User) -> list[TimelineItem]:
    """The lead's history and that of the person's other inquiries the reader may see."""
    items = _items([lead, *related_inquiries(lead, reader)])
    for item in items:
        if item.on_lead is not None and item.on_lead.pk == lead.pk:
            item.on_lead = None
    # Same instant: the activity came first (it caused the event), so it sorts below.
    items.sort(key=lambda i: (i.at, i.kind == "event", i.order), reverse=True)
    return items
