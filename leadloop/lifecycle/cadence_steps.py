"""Working the no-show cadence: doing its steps, sending its emails again, rebooking.

Doing a step logs its activity once and queues the prospect's email: the
message goes out from the worker after commit (`prospect_mail`), never
while the lead's row is locked, so a slow mail server holds nobody up and a
refused message is shown on the step to send again.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction

from leadloop.accounts.calendars import team_calendar
from leadloop.accounts.models import Team, User
from leadloop.followup import rules
from leadloop.followup.choices import (
    EMAIL_ACTIONS,
    STEP_ACTIVITY,
    MailState,
    RunState,
    StepAction,
    TaskStatus,
)
from leadloop.followup.models import CadenceRun, CadenceTask, CadenceTemplate
from leadloop.followup.permissions import may_work_task
from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead
from leadloop.lib.errors import NotPermitted
from leadloop.lib.times import utc
from leadloop.lib.zones import zone_named
from leadloop.lifecycle import news
from leadloop.lifecycle.activities import Entry, record_activity
from leadloop.lifecycle.cadence_runs import REBOOKED
from leadloop.lifecycle.locks import locked_lead
from leadloop.lifecycle.tasks import send_prospect_mail


def complete_task(
    *,
    task: CadenceTask | int,
    actor: User,
    now: datetime,
    note: str = "",
    proposed_at: datetime | None = None,
    send_email: bool = True,
) -> CadenceTask:
    """Do one cadence step: log its activity, queue the prospect's email, tell the inside rep.

    Doing a step that is already done changes nothing and logs nothing: a
    double click or a retried request records it once.
    """
    now = utc(now, "now")
    task_id = task.pk if isinstance(task, CadenceTask) else task
    lead_id = CadenceTask.objects.values_list("lead_id", flat=True).get(pk=task_id)
    with transaction.atomic():
        lead = locked_lead(lead_id)
        locked = (
            CadenceTask.objects.select_for_update(of=("self",))
            .select_related("run")
            .get(pk=task_id)
        )
        # Who may work it first: a done step answers "done" again only to her.
        if not may_work_task(actor, lead):
            raise NotPermitted(f"{actor} may not work the follow-up of lead {lead.pk}.")
        if locked.status == TaskStatus.DONE:
            return locked
        if locked.status != TaskStatus.PENDING:
            raise ValidationError(
                {
                    "task": f"this step is {TaskStatus(locked.status).label.lower()}: the "
                    f"cadence ended ({locked.run.end_note or locked.run.get_state_display()})"
                }
            )
        cal = team_calendar(Team.objects.get(pk=locked.run.team_id))
        zone = ZoneInfo(cal.tz)
        if now < locked.starts_at:
            raise ValidationError(
                {
                    "task": f"this step is for {locked.starts_at.astimezone(zone):%a %d %b}; "
                    "the cadence spaces the touches out"
                }
            )
        if locked.action == StepAction.INVITATION:
            if proposed_at is None:
                raise ValidationError({"proposed_at": "an invitation needs the proposed time"})
            proposed_at = utc(proposed_at, "proposed_at")
            rules.check_proposal(cal, proposed_at, now, _invite_window(locked.run))
        text = rules.fill(
            locked.text,
            rules.placeholders(
                first_name=lead.first_name,
                last_name=lead.last_name,
                company=lead.company,
                rep_name=str(actor),
                meeting=lead.meeting_at or locked.run.anchor_at,
                proposed=proposed_at,
                zone=zone,
            ),
        )
        subject, body = rules.split_subject(text, default=rules.default_subject(locked.action))
        emailing = locked.action in EMAIL_ACTIONS and send_email and bool(lead.email)
        label = StepAction(locked.action).label
        activity_note = f"No-show follow-up, day {locked.day}: {label.lower()}"
        if locked.action in EMAIL_ACTIONS:
            activity_note += f" — {subject}"
            if emailing:
                activity_note += f" (sent by leadloop to {lead.email})"
        if proposed_at is not None:
            activity_note += f"\nProposed: {rules.local_text(proposed_at, zone)}"
        if note.strip():
            activity_note += f"\n{note.strip()}"
        kind, outcome = STEP_ACTIVITY[locked.action]
        activity = record_activity(
            lead, Entry(kind, outcome, note=activity_note), actor=actor, now=now, announce=False
        )
        CadenceTask.objects.filter(pk=locked.pk, status=TaskStatus.PENDING).update(
            status=TaskStatus.DONE,
            done_at=now,
            done_by=actor,
            activity=activity,
            note=note.strip(),
            proposed_at=proposed_at,
            emailed_to=lead.email if emailing else "",
            mail_state=MailState.QUEUED if emailing else MailState.NONE,
            mail_subject=subject[:200] if emailing else "",
            mail_body=body if emailing else "",
        )
        locked.refresh_from_db()
        late = " (late)" if locked.is_late(now) else ""
        news.tell_producer(
            lead,
            actor=actor,
            now=now,
            summary=f"no-show follow-up, day {locked.day}: {label.lower()} done{late}",
        )
        if emailing:
            transaction.on_commit(send_prospect_mail)
    return locked


def _invite_window(run: CadenceRun) -> int:
    if run.template_id is not None:
        window = (
            CadenceTemplate.objects.filter(pk=run.template_id)
            .values_list("invite_window_days", flat=True)
            .first()
        )
        if window:
            return int(window)
    return 5


def resend_mail(*, task: CadenceTask | int, actor: User, now: datetime) -> CadenceTask:
    """Queue a step's email again after the mail server refused it."""
    task_id = task.pk if isinstance(task, CadenceTask) else task
    lead_id = CadenceTask.objects.values_list("lead_id", flat=True).get(pk=task_id)
    with transaction.atomic():
        lead = locked_lead(lead_id)
        if not may_work_task(actor, lead):
            raise NotPermitted(f"{actor} may not work the follow-up of lead {lead.pk}.")
        again = CadenceTask.objects.filter(pk=task_id, mail_state=MailState.FAILED).update(
            mail_state=MailState.QUEUED, mail_error=""
        )
        if not again:
            raise ValidationError({"task": "only an email the mail server refused is sent again"})
        transaction.on_commit(send_prospect_mail)
    return CadenceTask.objects.get(pk=task_id)


def rebook_meeting(
    *, lead: Lead | int, meeting_at: datetime, actor: User, now: datetime, note: str = ""
) -> Lead:
    """The prospect took a new time: log it, move the meeting, stop the cadence."""
    meeting_at = utc(meeting_at, "meeting_at")
    now = utc(now, "now")
    if meeting_at <= now:
        raise ValidationError({"meeting_at": "the new meeting must be in the future"})
    with transaction.atomic():
        locked = locked_lead(lead)
        if locked.stage != Stage.NO_SHOW:
            raise ValidationError(
                {"lead": f"only a no-show lead is rebooked; this one is {locked.stage}"}
            )
        if not may_work_task(actor, locked):
            raise NotPermitted(f"{actor} may not rebook the meeting of lead {locked.pk}.")
        running = (
            CadenceRun.objects.filter(lead_id=locked.pk, state=RunState.RUNNING)
            .values_list("pk", flat=True)
            .first()
        )
        zone = zone_named(actor.timezone)
        text = f"Meeting rebooked for {rules.local_text(meeting_at, zone)}"
        entry = Entry("meeting", REBOOKED, note=f"{text}\n{note.strip()}".strip())
        record_activity(locked, entry, actor=actor, now=now, announce=False)
        news.tell_producer(locked, actor=actor, now=now, summary=text.lower())
        locked.meeting_at = meeting_at
        locked.updated_at = now
        locked.version += 1
        locked.save(update_fields=["meeting_at", "updated_at", "version"])
        if running is not None:  # the logged meeting stopped it (on_activity)
            CadenceRun.objects.filter(pk=running).update(rebooked_for=meeting_at)
    return locked
