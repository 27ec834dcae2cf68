from __future__ import annotations

from django.db import models


class ClockKind(models.TextChoices):
    """The service levels a lead is held to (DESIGN.md, "The lead lifecycle")."""

    FIRST_CONTACT = "first_contact", "First contact"
    CONCLUDE = "conclude", "Concluded"
    ACCEPT = "accept", "Sales accepts or rejects"
    MEETING_OUTCOME = "meeting_outcome", "Meeting outcome recorded"
    FEEDBACK = "feedback", "Sales feedback"
    UPDATE = "update", "Open lead updated"


class ClockResult(models.TextChoices):
    """How a clock ended; empty while it runs. A breached clock stays open until stopped."""

    RUNNING = "", "Running"
    MET = "met", "Met"
    BREACHED = "breached", "Breached"
    CANCELLED = "cancelled", "Cancelled"


# Clocks the inside rep answers for; the rest are the sales rep's.
INSIDE_KINDS = frozenset({ClockKind.FIRST_CONTACT, ClockKind.CONCLUDE})
SALES_KINDS = frozenset(ClockKind) - INSIDE_KINDS
