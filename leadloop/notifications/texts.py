"""What a notification says, rendered when it is shown or mailed.

Rows carry only references (kind, lead, clock, event, data) so that bulk
writers such as the SLA sweep can insert them in SQL; the words live here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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


def _when_iso(text: str) -> str:
    """An ISO date-time from `data`, on the reader's clock; anything else as it is."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return str(text)
    return _when(moment) if timezone.is_aware(moment) else str(text)


def _clock_label(kind: str) -> str:
    return str(ClockKind(kind).label) if kind in ClockKind.values else kind


# What a breached clock means, as a manager says it.
CLOCK_MISSED = {
    ClockKind.FIRST_CONTACT: "first-contact deadline missed",
    ClockKind.CONCLUDE: "conclude-by deadline missed",
    ClockKind.ACCEPT: "accept-or-reject deadline missed",
    ClockKind.MEETING_OUTCOME: "meeting-outcome deadline missed",
    ClockKind.FEEDBACK: "feedback deadline missed",
    ClockKind.UPDATE: "update deadline missed",
}


def _clock_missed(kind: str) -> str:
    return CLOCK_MISSED.get(kind, f"{_clock_label(kind)} deadline missed")  # type: ignore[call-overload]


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
    count = int(data.get("count") or 0)
    if clock is None and count > 1 and n.kind in GROUPED:
        return _grouped(n, count, data)
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
            f"Escalated: {_clock_missed(clock.kind)} on {lead}",
            f"{owner} missed the {_clock_label(clock.kind).lower()} SLA on {lead} "
            f"(due {_when(clock.due_at)}). Follow up with {owner} or reassign the lead.",
            url,
        )
    if n.kind == NotificationKind.HANDOFF:
        who = data.get("from", "An inside rep")
        meeting = _when_iso(data.get("meeting_at", ""))
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
        # "by leadloop" says nothing: the sweeps act for nobody in particular.
        body = title + (f" by {who}" if who and who != "leadloop" else "") + "."
        if reason:
            body += f" Reason: {reason}."
        if data.get("note"):
            body += f"\n\n{data['note']}"
        return Text(title, body, url)
    if n.kind == NotificationKind.WEBHOOK_DISABLED:
        return Text(
            f"Webhook endpoint disabled: {data.get('url', '')}",
            f"leadloop stopped sending to {data.get('url', '')}: {data.get('reason', '')}. "
            "Its messages wait; fix the receiver, turn the endpoint on again and resend.",
            reverse("webhooks:detail", args=[data["endpoint"]]) if data.get("endpoint") else url,
        )
    return Text(str(n.get_kind_display()), "", url)


GROUPED = frozenset(
    {NotificationKind.SLA_AT_RISK, NotificationKind.SLA_BREACHED, NotificationKind.ESCALATION}
)


def _leads_link(**params: object) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items() if v not in (None, ""))
    return f"{reverse('web:lead_list')}?{query}"


def _grouped(n: Notification, count: int, data: dict[str, object]) -> Text:
    """Several clocks in one sweep: one message with the count and a link to the leads."""
    if n.kind == NotificationKind.SLA_AT_RISK:
        return Text(
            f"{count} of your leads are at risk of missing an SLA",
            f"{count} SLA clocks on your leads have used 80% of their time. "
            "Work them now, most urgent first.",
            _leads_link(sla_result="at_risk", sla_user=n.user_id),
        )
    if n.kind == NotificationKind.SLA_BREACHED:
        return Text(
            f"{count} of your leads breached an SLA",
            f"{count} SLA clocks on your leads ran out; your manager has been told. "
            "Handle them first: they are at the top of your queue.",
            _leads_link(sla_result="open_late", sla_user=n.user_id),
        )
    return Text(
        f"Escalated: {count} SLA breaches on your team",
        f"{count} SLA clocks on your team's leads ran out just now. See who owes what and "
        "follow up, or reassign the leads.",
        _leads_link(sla_result="open_late", sla_team=data.get("team")),
    )


def describe_event(kind: str, action: str, to_stage: str) -> str:
    """A lead event in a few words, for the inside rep who produced the lead."""
    if kind == EventKind.TRANSITION and action in Action.values:
        return f"{Action(action).label} (now {_stage_label(to_stage).lower()})"
    if kind in EventKind.values:
        return str(EventKind(kind).label)
    return kind
