from __future__ import annotations

from django.db import models


class ActivityKind(models.TextChoices):
    CALL = "call", "Call"
    EMAIL = "email", "Email"
    MEETING = "meeting", "Meeting"
    NOTE = "note", "Note"


class Outcome(models.TextChoices):
    CONNECTED = "connected", "Connected"
    VOICEMAIL = "voicemail", "Voicemail"
    NO_ANSWER = "no_answer", "No answer"
    GATEKEEPER = "gatekeeper", "Gatekeeper"
    WRONG_NUMBER = "wrong_number", "Wrong number"
    SENT = "sent", "Sent"
    REPLIED = "replied", "Replied"
    BOUNCED = "bounced", "Bounced"
    SCHEDULED = "scheduled", "Scheduled"
    HELD = "held", "Held"
    NO_SHOW = "no_show", "No-show"
    NONE = "", "—"


OUTCOMES_BY_KIND: dict[str, frozenset[str]] = {
    ActivityKind.CALL: frozenset(
        {"connected", "voicemail", "no_answer", "gatekeeper", "wrong_number"}
    ),
    ActivityKind.EMAIL: frozenset({"sent", "replied", "bounced"}),
    ActivityKind.MEETING: frozenset({"scheduled", "held", "no_show"}),
    ActivityKind.NOTE: frozenset({""}),
}

# Outcomes that mean the prospect was reached (a two-way contact).
CONNECT_OUTCOMES = frozenset({"connected", "replied", "held"})
