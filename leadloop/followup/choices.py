from __future__ import annotations

from django.db import models


class CadenceTrigger(models.TextChoices):
    """What starts a cadence. Seed 004 names one: the prospect missed the first meeting."""

    NO_SHOW = "no_show", "No-show"


class StepAction(models.TextChoices):
    VOICEMAIL = "voicemail", "Voicemail"
    EMAIL = "email", "Email"
    INVITATION = "invitation", "Invitation with a new time"


# The activity doing a step logs: (activity kind, outcome).
STEP_ACTIVITY: dict[str, tuple[str, str]] = {
    StepAction.VOICEMAIL: ("call", "voicemail"),
    StepAction.EMAIL: ("email", "sent"),
    StepAction.INVITATION: ("email", "sent"),
}
# Steps that write to the prospect (leadloop sends the email when it can).
EMAIL_ACTIONS = frozenset({StepAction.EMAIL, StepAction.INVITATION})


class RunState(models.TextChoices):
    RUNNING = "running", "Running"
    RESPONDED = "responded", "Prospect responded"
    REBOOKED = "rebooked", "Meeting rebooked"
    MOVED_ON = "moved_on", "Outcome recorded"
    RECYCLED = "recycled", "Recycled to the inside rep"


class TaskStatus(models.TextChoices):
    PENDING = "pending", "To do"
    DONE = "done", "Done"
    # The cadence ran out (recycle) before the step was done: counted against the rep.
    SKIPPED = "skipped", "Skipped"
    # The prospect answered or the lead moved on: the step was no longer needed.
    CANCELLED = "cancelled", "Not needed"


class MailState(models.TextChoices):
    """Where the prospect's email of a done step stands; leadloop sends it after commit."""

    NONE = "", "No email"
    QUEUED = "queued", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Refused by the mail server"


class PurgatoryReason(models.TextChoices):
    """Seed 004: a lead nobody is cultivating."""

    NO_NEXT_TOUCH = "no_next_touch", "Nurture without a next touch date"
    TOUCH_OVERDUE = "touch_overdue", "Nurture past its next touch date, no activity"
    NO_OWNER = "no_owner", "Open lead without an active owner"
