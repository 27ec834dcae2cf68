from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from leadloop.followup.choices import (
    CadenceTrigger,
    MailState,
    PurgatoryReason,
    RunState,
    StepAction,
    TaskStatus,
)


class CadenceTemplate(models.Model):
    """The follow-up a sales rep owes after a trigger (seed 004: a no-show).

    The template without a team is the default of every sales team; a
    manager may give her team its own. A run copies the steps into tasks
    when it starts, so editing a template never moves a running cadence.
    """

    name = models.CharField(max_length=120)
    trigger = models.CharField(
        max_length=16, choices=CadenceTrigger.choices, default=CadenceTrigger.NO_SHOW
    )
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cadence_templates",
        help_text="The sales team it applies to; empty: the default of every team.",
    )
    recycle_day = models.PositiveSmallIntegerField(
        default=7,
        help_text="Business day after the missed meeting on which an unanswered lead goes "
        "back to the inside rep who set the meeting.",
    )
    invite_window_days = models.PositiveSmallIntegerField(
        default=5, help_text="An invitation proposes a time within this many business days."
    )
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["trigger", "team__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["trigger"],
                condition=Q(team__isnull=True),
                name="one_default_cadence_per_trigger",
            ),
            models.UniqueConstraint(
                fields=["team", "trigger"],
                condition=Q(team__isnull=False),
                name="one_team_cadence_per_trigger",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CadenceStep(models.Model):
    """One touch of a template: on business day `day`, do `action`, saying `text`."""

    template = models.ForeignKey(CadenceTemplate, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    day = models.PositiveSmallIntegerField(help_text="Business days after the missed meeting.")
    action = models.CharField(max_length=16, choices=StepAction.choices)
    text = models.TextField(
        blank=True,
        default="",
        help_text="Voicemail script or email text; a first line 'Subject: ...' is the "
        "email's subject. {first_name}, {company}, {rep_name}, {meeting} and {proposed} "
        "are filled in.",
    )

    class Meta:
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "position"], name="cadence_step_position")
        ]

    def __str__(self) -> str:
        return f"day {self.day}: {self.get_action_display()}"


RUNNING = Q(state=RunState.RUNNING)
PENDING = Q(status=TaskStatus.PENDING)


class CadenceRun(models.Model):
    """One cadence on one lead: who owes it, on whose calendar, when it runs out."""

    # Indexed by cadence_run_lead (lead, started_at).
    lead = models.ForeignKey(
        "leads.Lead", on_delete=models.CASCADE, related_name="cadence_runs", db_index=False
    )
    template = models.ForeignKey(
        CadenceTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    trigger = models.CharField(max_length=16, choices=CadenceTrigger.choices)
    sales_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    # Seed 004: an unanswered lead goes back to the inside rep who set the meeting.
    inside_rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        help_text="The sales team whose business calendar the days are counted on.",
    )
    anchor_at = models.DateTimeField(help_text="The missed meeting: business day 0.")
    started_at = models.DateTimeField()
    recycle_at = models.DateTimeField()
    state = models.CharField(max_length=12, choices=RunState.choices, default=RunState.RUNNING)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_note = models.CharField(max_length=200, blank=True, default="")
    rebooked_for = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            # The tick's scan: only running cadences are in it.
            models.Index(fields=["recycle_at"], condition=RUNNING, name="cadence_run_recycle"),
            models.Index(fields=["lead", "started_at"], name="cadence_run_lead"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["lead"], condition=RUNNING, name="one_running_cadence_per_lead"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} cadence on lead {self.lead_id}: {self.state}"


class CadenceTask(models.Model):
    """A step of a run, due on its business day: a task in the sales rep's list."""

    # Indexed by the unique (run, position).
    run = models.ForeignKey(
        CadenceRun, on_delete=models.CASCADE, related_name="tasks", db_index=False
    )
    lead = models.ForeignKey(
        "leads.Lead", on_delete=models.CASCADE, related_name="cadence_tasks", db_index=False
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cadence_tasks",
        db_index=False,
    )
    position = models.PositiveSmallIntegerField()
    day = models.PositiveSmallIntegerField()
    action = models.CharField(max_length=16, choices=StepAction.choices)
    text = models.TextField(blank=True, default="")
    starts_at = models.DateTimeField(help_text="Start of the step's business day (local).")
    due_at = models.DateTimeField(help_text="Close of the step's business day.")
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.PENDING)
    late_at = models.DateTimeField(
        null=True, blank=True, help_text="When the tick found it past due and told the rep."
    )
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activity = models.ForeignKey(
        "outreach.Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True, help_text="Skipped or cancelled at.")
    proposed_at = models.DateTimeField(
        null=True, blank=True, help_text="The new meeting time an invitation proposed."
    )
    emailed_to = models.CharField(max_length=254, blank=True, default="")
    # The prospect's email of the step, written when the step is done and sent by the
    # worker after commit (see lifecycle.prospect_mail): what was sent, and whether it went.
    mail_state = models.CharField(
        max_length=8, choices=MailState.choices, blank=True, default=MailState.NONE
    )
    mail_subject = models.CharField(max_length=200, blank=True, default="")
    mail_body = models.TextField(blank=True, default="")
    mail_error = models.CharField(max_length=300, blank=True, default="")
    mailed_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["due_at", "position", "id"]
        indexes = [
            models.Index(fields=["assignee", "status", "due_at"], name="cadence_task_assignee"),
            models.Index(fields=["lead", "due_at"], name="cadence_task_lead"),
            # The tick's scan for steps gone late.
            models.Index(
                fields=["due_at"],
                condition=PENDING & Q(late_at__isnull=True),
                name="cadence_task_late_scan",
            ),
            # The worker's scan for prospect emails to send.
            models.Index(
                fields=["id"], condition=Q(mail_state=MailState.QUEUED), name="cadence_task_mail"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="cadence_task_per_step")
        ]

    def __str__(self) -> str:
        return f"day {self.day} {self.action} on lead {self.lead_id}: {self.status}"

    def is_late(self, now: datetime) -> bool:
        """Done after its day closed, skipped, or still to do past its day."""
        if self.status == TaskStatus.DONE:
            return self.done_at is not None and self.done_at > self.due_at
        if self.status == TaskStatus.SKIPPED:
            return True
        return self.status == TaskStatus.PENDING and now > self.due_at


class PurgatoryFlag(models.Model):
    """A lead found in purgatory (seed 004), open until the condition clears.

    One open flag per lead and reason is the exactly-once claim: its owner
    and manager are told once when it is raised, not every minute.
    """

    lead = models.ForeignKey(
        "leads.Lead", on_delete=models.CASCADE, related_name="purgatory_flags", db_index=False
    )
    reason = models.CharField(max_length=16, choices=PurgatoryReason.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    flagged_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-flagged_at", "-id"]
        indexes = [models.Index(fields=["lead", "reason"], name="purgatory_lead_reason")]
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "reason"],
                condition=Q(cleared_at__isnull=True),
                name="one_open_purgatory_flag",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} on lead {self.lead_id}"
