"""What a notification says, rendered when it is shown or mailed.

Rows carry only references (kind, lead, clock, event, data) so that bulk
writers such as the SLA sweep can insert them in SQL; the words live here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from leadloop.leads.choices import Action, EventKind, Stage
from leadloop.notifications.choices import NotificationKind
from leadloop.notifications.models import Notification
from leadloop.sla.choices import ClockKind


@dataclass(frozen=True)
class Text:
    title: str
    body: str
    url: str


def _when(moment: object) -> str:
    if moment is None:
        return "—"
    return date_format(timezone.localtime(moment), "D j M Y, H:i")  # type: ignore[arg-type]


def _clock_label(kind: str) -> str:
    return str(ClockKind(kind).label) if kind in ClockKind.values else kind


def _stage_label(stage: str) -> str:
    return str(Stage(stage).label) if stage in Stage.values else stage


def lead_url(lead_id: int | None) -> str:
    return reverse("web:lead_detail", args=[lead_id]) if lead_id else reverse("web:home")


def absolute(url: str) -> str:
    return settings.LEADLOOP_BASE_URL.rstrip("/") + url


def render(n: Notification) -> Text:
    """Title, body and link of a notification (reads n.lead, n.clock, n.event if set)."""
    lead = str(n.lead) if n.lead_id and n.lead is not None else "a lead"
    url = lead_url(n.lead_id)
    data = n.data or {}
    clock = n.clock if n.clock_id else None
    if n.kind == NotificationKind.SLA_AT_RISK and clock is not None:
        return Text(
            f"At risk: {_clock_label(clock.kind)} on {lead}",
            f"The {_clock_label(clock.kind).lower()} SLA on {lead} is due {_when(clock.due_at)}; "
            "80% of its time is used. Act on it now to keep it met.",
            url,
        )
    if n.kind == NotificationKind.SLA_BREACHED and clock is not None:
        return Text(
            f"SLA breached: {_clock_label(clock.kind)} on {lead}",
            f"The {_clock_label(clock.kind).lower()} SLA on {lead} was due "
            f"{_when(clock.due_at)} and is now breached. Your manager has been told. "
            "Handle the lead to stop the clock.",
            url,
        )
    if n.kind == NotificationKind.ESCALATION and clock is not None:
        owner = str(clock.user) if clock.user_id and clock.user is not None else "nobody"
        return Text(
            f"Escalated: {_clock_label(clock.kind)} breached on {lead}",
            f"{owner} missed the {_clock_label(clock.kind).lower()} SLA on {lead} "
            f"(due {_when(clock.due_at)}). Follow up with {owner} or reassign the lead.",
            url,
        )
    if n.kind == NotificationKind.HANDOFF:
        who = data.get("from", "An inside rep")
        meeting = data.get("meeting_at", "")
        write_up = data.get("write_up", "")
        body = f"{who} handed {lead} to you. First meeting: {meeting}.\n\n{write_up}".strip()
        return Text(f"New handoff: {lead}", body, url)
    if n.kind == NotificationKind.LEAD_EVENT:
        event = n.event if n.event_id else None
        what = data.get("summary", "")
        if event is not None and not what:
            what = describe_event(event.kind, event.action, event.to_stage)
        who = data.get("actor", "")
        reason = data.get("reason", "")
        title = f"{lead}: {what}" if what else f"News on {lead}"
        body = title + (f" by {who}" if who else "") + "."
        if reason:
            body += f" Reason: {reason}."
        if data.get("note"):
            body += f"\n\n{data['note']}"
        return Text(title, body, url)
    return Text(str(n.get_kind_display()), "", url)


def describe_event(kind: str, action: str, to_stage: str) -> str:
    """A lead event in a few words, for the inside rep who produced the lead."""
    if kind == EventKind.TRANSITION and action in Action.values:
        return f"{Action(action).label} (now {_stage_label(to_stage).lower()})"
    if kind in EventKind.values:
        return str(EventKind(kind).label)
    return kind
