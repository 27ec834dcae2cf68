from __future__ import annotations

from django.db import models


class NotificationKind(models.TextChoices):
    SLA_AT_RISK = "sla_at_risk", "SLA at risk"
    SLA_BREACHED = "sla_breached", "SLA breached"
    ESCALATION = "escalation", "Escalation"
    LEAD_EVENT = "lead_event", "News on a lead"
    HANDOFF = "handoff", "New handoff"
    # A webhook endpoint was turned off (410 Gone, or failing for three days).
    WEBHOOK_DISABLED = "webhook_disabled", "Webhook endpoint disabled"


class EmailState(models.TextChoices):
    """Where a notification's email stands; chosen from the user's mode when it is made."""

    QUEUED = "queued", "Waiting to be sent"
    SENT = "sent", "Sent"
    DIGEST = "digest", "Waiting for the daily digest"
    DIGESTED = "digested", "Sent in a digest"
    OFF = "off", "No email"
    FAILED = "failed", "Sending failed"
