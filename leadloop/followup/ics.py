"""The invitation a no-show cadence sends (seed 004, day 5): an iCalendar REQUEST.

Built from the task alone, so the file downloaded later is the one that
was attached to the email: same UID, same stamp, same time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from icalendar import Calendar, Event, vCalAddress, vText

from leadloop.accounts.models import User
from leadloop.followup.models import CadenceTask
from leadloop.leads.models import Lead

MEETING_LENGTH = timedelta(minutes=30)


def _host() -> str:
    return urlsplit(settings.LEADLOOP_BASE_URL).hostname or "leadloop"


def invitation(
    *, task: CadenceTask, lead: Lead, organizer: User | None, start: datetime, now: datetime
) -> bytes:
    """A meeting request from the sales rep to the prospect at `start`."""
    cal = Calendar()
    cal.add("prodid", "-//leadloop//no-show follow-up//EN")
    cal.add("version", "2.0")
    cal.add("method", "REQUEST")
    event = Event()
    event.add("uid", f"leadloop-cadence-{task.run_id}-step-{task.position}@{_host()}")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", start.astimezone(UTC))
    event.add("dtend", (start + MEETING_LENGTH).astimezone(UTC))
    event.add("sequence", 0)
    who = f"{lead.full_name or lead.email}" + (f", {lead.company}" if lead.company else "")
    rep = str(organizer) if organizer is not None else "your contact"
    # The prospect's calendar lists many calls: her company first says which one this is.
    title = f"{lead.company}: call with {rep}" if lead.company else f"Call with {rep}"
    event.add("summary", title)
    event.add(
        "description",
        f"A new time for the call we missed, proposed by {rep}. "
        "Accept it, or reply with a time that suits you better.",
    )
    if organizer is not None and organizer.email:
        address = vCalAddress(f"mailto:{organizer.email}")
        address.params["cn"] = vText(rep)
        event["organizer"] = address
    if lead.email:
        attendee = vCalAddress(f"mailto:{lead.email}")
        attendee.params["cn"] = vText(who)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("NEEDS-ACTION")
        attendee.params["rsvp"] = vText("TRUE")
        event.add("attendee", attendee, encode=False)
    cal.add_component(event)
    return bytes(cal.to_ical())


def filename(task: CadenceTask) -> str:
    return f"leadloop-invitation-lead-{task.lead_id}.ics"
