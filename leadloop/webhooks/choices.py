from __future__ import annotations

from django.db import models


class DeliveryState(models.TextChoices):
    """Where one message to one endpoint stands."""

    # Waiting for its first attempt or its next retry (`next_attempt_at`).
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    # Every attempt of the retry schedule failed; a resend puts it back to pending.
    FAILED = "failed", "Failed"


class EventType(models.TextChoices):
    """The event types an endpoint can ask for (`*`: all of them)."""

    LEAD_CREATED = "lead.created", "A lead came in"
    LEAD_SUBMITTED_AGAIN = "lead.submitted_again", "A known person submitted again"
    LEAD_RETURNED = "lead.returned", "A closed lead's person asked again"
    LEAD_ASSIGNED = "lead.assigned", "A lead was assigned"
    LEAD_STAGE_CHANGED = (
        "lead.stage_changed",
        "A lead changed stage (not a hand-off or sales feedback)",
    )
    LEAD_HANDED_OFF = "lead.handed_off", "A lead was handed off to sales"
    LEAD_FEEDBACK_RECORDED = "lead.feedback_recorded", "Feedback was recorded on a lead"
    LEAD_ACTIVITY_LOGGED = "lead.activity_logged", "A call, email, meeting or note was logged"
    LEAD_QUALIFICATION_ANSWERED = "lead.qualification_answered", "Qualification answered"
    LEAD_SCORE_CHANGED = "lead.score_changed", "A lead's score changed"
    LEAD_EDITED = "lead.edited", "A lead's details were edited"
    SLA_AT_RISK = "sla.at_risk", "An SLA is at risk"
    SLA_BREACHED = "sla.breached", "An SLA was breached"
    IMPORT_FINISHED = "import.finished", "An import of a lead file finished"
    WEBHOOK_TEST = "webhook.test", "A test event sent from the endpoint's page"


ALL = "*"
