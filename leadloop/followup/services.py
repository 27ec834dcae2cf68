"""Writes of the sales follow-up: cadences start and stop with the lifecycle, steps get done,
templates get edited, handoffs get accepted or rejected.

Two hooks tie it to the lifecycle: `on_transition` runs inside
`leads.services.lead_transition` (lead row locked, before the lead is
saved) and `on_activity` inside `outreach.services.log_activity`. Every
writer here locks the lead row first and the cadence rows after it, the
same order as those two, so no two writers wait on each other in a circle.
The lead's stage is only ever changed through `lead_transition`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from leadloop.accounts.calendars import team_calendar
from leadloop.accounts.choices import TeamKind
from leadloop.accounts.models import Team, User
from leadloop.followup import ics, rules
from leadloop.followup.choices import (
    EMAIL_ACTIONS,
    STEP_ACTIVITY,
    CadenceTrigger,
    RunState,
    StepAction,
    TaskStatus,
)
from leadloop.followup.models import CadenceRun, CadenceStep, CadenceTask, CadenceTemplate
from leadloop.followup.permissions import may_edit_template, may_work_task
from leadloop.leads.choices import Action, Stage
from leadloop.leads.models import Lead
from leadloop.leads.services import lead_transition
from leadloop.lib.errors import NotPermitted
from leadloop.notifications.choices import NotificationKind
from leadloop.notifications.services import notify
from leadloop.outreach.models import Activity

log = logging.getLogger("leadloop.followup")

# Outcomes that mean the prospect answered: the cadence has done its job.
RESPONSES = frozenset({"replied", "connected", "held"})
REBOOKED = "scheduled"
# A meeting's outcome cannot be known before the meeting.
MEETING_OUTCOMES = frozenset({Action.MEETING_HELD, Action.NO_SHOW})
# An email to a prospect must not hold the lead's lock for long.
EMAIL_TIMEOUT = 15


def find_template(
    team_id: int | None, trigger: str = CadenceTrigger.NO_SHOW
) -> CadenceTemplate | None:
    """The team's own template, else the default one (the data migration creates it)."""
    qs = CadenceTemplate.objects.filter(trigger=trigger).prefetch_related("steps")
    found = qs.filter(team_id=team_id).first() if team_id is not None else None
    return found or qs.filter(team__isnull=True).first()


def template_for(team_id: int | None, trigger: str = CadenceTrigger.NO_SHOW) -> CadenceTemplate:
    found = find_template(team_id, trigger)
    if found is None:
        raise ValidationError(
            {"cadence": f"no {trigger} cadence template; an admin must create the default one"}
        )
    return found


def local_text(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %d %b %Y, %H:%M") if moment else "—"


# ---------------------------------------------------------------- lifecycle hooks


def on_transition(
    *,
    lead: Lead,
    from_stage: str,
    to_stage: str,
    action: str,
    actor: User | None,
    now: datetime,
    data: Mapping[str, Any],
) -> None:
    """Check the follow-up's rules on a move, then start or end the lead's cadence.

    Runs inside `lead_transition` with the lead locked and not yet saved;
    a ValidationError here refuses the whole move.
    """
    if action in MEETING_OUTCOMES and lead.meeting_at is not None and now < lead.meeting_at:
        zone = timezone.get_current_timezone()
        raise ValidationError(
            {
                "meeting_at": f"the meeting is on {local_text(lead.meeting_at, zone)}; "
                "record its outcome after it"
            }
        )
    if (
        action == Action.OPEN_OPPORTUNITY
        and data.get("expected_close_on")
        and lead.expected_close_on is not None
        and lead.expected_close_on < timezone.localdate(now)
    ):
        raise ValidationError({"expected_close_on": "must be today or later"})
    if from_stage != Stage.NO_SHOW and action != Action.NO_SHOW:
        return  # a cadence runs only while the lead waits in "no-show"
    run = (
        CadenceRun.objects.select_for_update(of=("self",))
        .filter(lead_id=lead.pk, state=RunState.RUNNING)
        .first()
    )
    if action == Action.NO_SHOW:
        if run is not None:  # cannot happen through the lifecycle; never leave two running
            _end_run(run, RunState.MOVED_ON, now, "a new no-show", TaskStatus.CANCELLED)
        _start_no_show(lead, now)
        return
    if run is None:
        return
    if action == Action.RECYCLE:
        skipped = _end_run(
            run,
            RunState.RECYCLED,
            now,
            "no response by the recycle day" if actor is None else f"recycled by {actor}",
            TaskStatus.SKIPPED,
        )
        if run.sales_rep_id is not None and (actor is None or actor.pk != run.sales_rep_id):
            back_to = User.objects.filter(pk=lead.owner_id).first() if lead.owner_id else None
            notify(
                users=[run.sales_rep_id],
                kind=NotificationKind.LEAD_EVENT,
                lead=lead,
                now=now,
                data={
                    "summary": f"back to {back_to or 'the inside team'}: no response to the "
                    "no-show follow-up",
                    "actor": "leadloop" if actor is None else str(actor),
                    "note": f"{skipped} step{'s' if skipped != 1 else ''} of the cadence were "
                    "not done."
                    if skipped
                    else "",
                },
            )
        return
    _end_run(run, RunState.MOVED_ON, now, str(Action(action).label), TaskStatus.CANCELLED)


def on_activity(*, lead: Lead, activity: Activity, now: datetime) -> None:
    """A prospect who answers, or a rebooked or held meeting, stops the cadence."""
    outcome = activity.outcome
    if lead.stage != Stage.NO_SHOW or (outcome not in RESPONSES and outcome != REBOOKED):
        return
    run = (
        CadenceRun.objects.select_for_update(of=("self",))
        .filter(lead_id=lead.pk, state=RunState.RUNNING)
        .first()
    )
    if run is None or activity.occurred_at < run.anchor_at:
        return
    state = RunState.REBOOKED if outcome == REBOOKED else RunState.RESPONDED
    what = f"{activity.get_kind_display().lower()} {activity.get_outcome_display().lower()}"
    _end_run(run, state, now, what, TaskStatus.CANCELLED)
    _tell_producer(
        lead=lead,
        actor=activity.actor,
        now=now,
        summary=f"no-show follow-up stopped: {RunState(state).label.lower()} ({what})",
    )


def _start_no_show(lead: Lead, now: datetime) -> CadenceRun | None:
    """Plan the no-show cadence on the sales team's calendar from the missed meeting."""
    rep = lead.sales_rep
    team = rep.team if rep is not None and rep.team is not None else lead.team
    template = find_template(team.pk)
    if template is None:
        # Recording the no-show matters more than the cadence an admin deleted.
        log.warning("no no-show cadence template", extra={"lead": lead.pk, "team": team.pk})
        return None
    cal = team_calendar(team)
    anchor = lead.meeting_at or now
    steps = [rules.StepSpec(s.day, s.action, s.text) for s in template.steps.all()]
    plan = rules.plan(cal, anchor, steps, template.recycle_day)
    run = CadenceRun.objects.create(
        lead=lead,
        template=template,
        trigger=CadenceTrigger.NO_SHOW,
        sales_rep=rep,
        inside_rep_id=lead.handed_off_by_id,
        team=team,
        anchor_at=anchor,
        started_at=now,
        recycle_at=plan.recycle_at,
    )
    CadenceTask.objects.bulk_create(
        CadenceTask(
            run=run,
            lead=lead,
            assignee=rep,
            position=step.position,
            day=step.day,
            action=step.action,
            text=step.text,
            starts_at=step.starts_at,
            due_at=step.due_at,
        )
        for step in plan.steps
    )
    return run


def _end_run(run: CadenceRun, state: str, now: datetime, note: str, pending_to: str) -> int:
    """Close a running cadence; its open steps become `pending_to`. Returns how many did."""
    won = CadenceRun.objects.filter(pk=run.pk, state=RunState.RUNNING).update(
        state=state, ended_at=now, end_note=note[:200]
    )
    if not won:
        return 0
    run.state, run.ended_at, run.end_note = state, now, note[:200]
    return CadenceTask.objects.filter(run=run, status=TaskStatus.PENDING).update(
        status=pending_to, ended_at=now
    )


def _tell_producer(*, lead: Lead, actor: User | None, now: datetime, summary: str) -> None:
    """Seed 000: the inside rep who produced the lead hears of everything done with it."""
    producer = lead.handed_off_by_id
    if producer is None or (actor is not None and actor.pk == producer):
        return
    notify(
        users=[producer],
        kind=NotificationKind.LEAD_EVENT,
        lead=lead,
        now=now,
        data={"summary": summary, "actor": str(actor) if actor is not None else "leadloop"},
    )


# ---------------------------------------------------------------- doing steps


def complete_task(
    *,
    task: CadenceTask | int,
    actor: User,
    now: datetime,
    note: str = "",
    proposed_at: datetime | None = None,
    send_email: bool = True,
) -> CadenceTask:
    """Do one cadence step: log its activity, email the prospect, tell the inside rep.

    Doing a step that is already done changes nothing and logs nothing: a
    double click or a retried request records it once.
    """
    task_id = task.pk if isinstance(task, CadenceTask) else task
    lead_id = CadenceTask.objects.values_list("lead_id", flat=True).get(pk=task_id)
    with transaction.atomic():
        lead = (
            Lead.objects.select_for_update(of=("self",), no_key=True)
            .select_related("sales_rep", "sales_rep__team", "team")
            .get(pk=lead_id)
        )
        locked = (
            CadenceTask.objects.select_for_update(of=("self",))
            .select_related("run")
            .get(pk=task_id)
        )
        if locked.status == TaskStatus.DONE:
            return locked
        if not may_work_task(actor, lead):
            raise NotPermitted(f"{actor} may not work the follow-up of lead {lead.pk}.")
        if locked.status != TaskStatus.PENDING:
            raise ValidationError(
                {
                    "task": f"this step is {TaskStatus(locked.status).label.lower()}: the "
                    f"cadence ended ({locked.run.end_note or locked.run.get_state_display()})"
                }
            )
        team = _run_team(locked.run)
        cal = team_calendar(team)
        zone = ZoneInfo(cal.tz)
        if now < locked.starts_at:
            raise ValidationError(
                {
                    "task": f"this step is for {locked.starts_at.astimezone(zone):%a %d %b}; "
                    "the cadence spaces the touches out (seed 004)"
                }
            )
        ics_bytes: bytes | None = None
        if locked.action == StepAction.INVITATION:
            if proposed_at is None:
                raise ValidationError({"proposed_at": "an invitation needs the proposed time"})
            window = _invite_window(locked.run)
            rules.check_proposal(cal, proposed_at, now, window)
            ics_bytes = ics.invitation(
                task=locked, lead=lead, organizer=actor, start=proposed_at, now=now
            )
        values = _placeholders(lead, actor, locked.run.anchor_at, proposed_at, zone)
        text = rules.fill(locked.text, values)
        kind, outcome = STEP_ACTIVITY[locked.action]
        label = StepAction(locked.action).label
        subject, body = rules.split_subject(text, default=_default_subject(locked.action))
        emailed_to = ""
        if locked.action in EMAIL_ACTIONS and send_email and lead.email:
            emailed_to = lead.email
        activity_note = f"No-show follow-up, day {locked.day}: {label.lower()}"
        if locked.action in EMAIL_ACTIONS:
            activity_note += f" — {subject}"
            if emailed_to:
                activity_note += f" (sent by leadloop to {emailed_to})"
        if proposed_at is not None:
            activity_note += f"\nProposed: {local_text(proposed_at, zone)}"
        if note.strip():
            activity_note += f"\n{note.strip()}"
        from leadloop.outreach.services import log_activity

        activity = log_activity(
            lead=lead.pk, actor=actor, kind=kind, outcome=outcome, note=activity_note, now=now
        )
        CadenceTask.objects.filter(pk=locked.pk, status=TaskStatus.PENDING).update(
            status=TaskStatus.DONE,
            done_at=now,
            done_by=actor,
            activity=activity,
            note=note.strip(),
            proposed_at=proposed_at,
            emailed_to=emailed_to,
        )
        locked.refresh_from_db()
        late = " (late)" if locked.is_late(now) else ""
        _tell_producer(
            lead=lead,
            actor=actor,
            now=now,
            summary=f"no-show follow-up, day {locked.day}: {label.lower()} done{late}",
        )
        if emailed_to:
            # Last, inside the transaction: a mail server that refuses it undoes the step.
            _send_prospect_email(
                to=emailed_to,
                rep=actor,
                subject=subject,
                body=body,
                ics_bytes=ics_bytes,
            )
    return locked


def _run_team(run: CadenceRun) -> Team:
    return Team.objects.get(pk=run.team_id)


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


def _default_subject(action: str) -> str:
    return "A new time for our call" if action == StepAction.INVITATION else "Following up"


def _placeholders(
    lead: Lead, rep: User, meeting: datetime, proposed: datetime | None, zone: ZoneInfo
) -> dict[str, str]:
    return {
        "first_name": lead.first_name or "there",
        "last_name": lead.last_name,
        "company": lead.company or "your company",
        "rep_name": str(rep),
        "meeting": local_text(meeting, zone),
        "proposed": local_text(proposed, zone) if proposed else "a time that suits you",
    }


def _send_prospect_email(
    *, to: str, rep: User, subject: str, body: str, ics_bytes: bytes | None
) -> None:
    """Send in the rep's name; replies go to her. A refusal becomes a field error."""
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=[rep.email] if rep.email else None,
        connection=get_connection(timeout=EMAIL_TIMEOUT),
    )
    if ics_bytes is not None:
        message.attach("invitation.ics", ics_bytes, "text/calendar; method=REQUEST")
    try:
        message.send()
    except Exception as exc:  # SMTP, socket and DNS errors alike: nothing is recorded
        log.warning("prospect email failed", extra={"to": to, "error": str(exc)})
        raise ValidationError(
            {
                "send_email": f"the mail server did not take the email ({exc}); nothing was "
                "recorded. Try again, or untick sending and email the prospect yourself."
            }
        ) from exc


def rebook_meeting(
    *, lead: Lead | int, meeting_at: datetime, actor: User, now: datetime, note: str = ""
) -> Lead:
    """The prospect took a new time: log it, move the meeting, stop the cadence."""
    if meeting_at.tzinfo is None:
        raise ValidationError({"meeting_at": "needs a time zone offset"})
    if meeting_at <= now:
        raise ValidationError({"meeting_at": "the new meeting must be in the future"})
    lead_id = lead.pk if isinstance(lead, Lead) else lead
    with transaction.atomic():
        locked = Lead.objects.select_for_update(of=("self",), no_key=True).get(pk=lead_id)
        if locked.stage != Stage.NO_SHOW:
            raise ValidationError(
                {"lead": f"only a no-show lead is rebooked; this one is {locked.stage}"}
            )
        if not may_work_task(actor, locked):
            raise NotPermitted(f"{actor} may not rebook the meeting of lead {locked.pk}.")
        from leadloop.outreach.services import log_activity

        running = (
            CadenceRun.objects.filter(lead_id=locked.pk, state=RunState.RUNNING)
            .values_list("pk", flat=True)
            .first()
        )
        zone = timezone.get_current_timezone()
        text = f"Meeting rebooked for {local_text(meeting_at, zone)}"
        log_activity(
            lead=locked.pk,
            actor=actor,
            kind="meeting",
            outcome=REBOOKED,
            note=f"{text}\n{note.strip()}".strip(),
            now=now,
        )
        Lead.objects.filter(pk=locked.pk).update(
            meeting_at=meeting_at, updated_at=now, version=F("version") + 1
        )
        if running is not None:  # the logged meeting stopped it (on_activity)
            CadenceRun.objects.filter(pk=running).update(rebooked_for=meeting_at)
        locked.refresh_from_db()
    return locked


# ---------------------------------------------------------------- the sales inbox and outcomes


def accept_handoff(
    *, lead: Lead | int, actor: User, now: datetime, expected_version: int | None = None
) -> Lead:
    return lead_transition(
        lead=lead, action=Action.ACCEPT, actor=actor, now=now, expected_version=expected_version
    )


def reject_handoff(
    *,
    lead: Lead | int,
    actor: User,
    now: datetime,
    reason_code: str | int | None,
    note: str = "",
    expected_version: int | None = None,
) -> Lead:
    """Back to the inside rep's queue with the reason: the lifecycle does the move and tells her."""
    data: dict[str, Any] = {"reason_code": reason_code}
    if note.strip():
        data["note"] = note.strip()
    return lead_transition(
        lead=lead,
        action=Action.REJECT,
        actor=actor,
        now=now,
        data=data,
        expected_version=expected_version,
    )


# What a sales rep may record as the outcome of a meeting and after it.
OUTCOME_ACTIONS = (
    Action.MEETING_HELD,
    Action.NO_SHOW,
    Action.OPEN_OPPORTUNITY,
    Action.NURTURE,
    Action.DISQUALIFY,
    Action.LOSE,
    Action.WIN,
)


def record_outcome(
    *,
    lead: Lead | int,
    outcome: str,
    actor: User,
    now: datetime,
    data: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
) -> Lead:
    """The meeting's outcome, or what came of it; the lifecycle checks the data each needs."""
    if outcome not in OUTCOME_ACTIONS:
        allowed = ", ".join(a.value for a in OUTCOME_ACTIONS)
        raise ValidationError({"outcome": f"unknown outcome '{outcome}'; one of {allowed}"})
    clean = {k: v for k, v in (data or {}).items() if v not in (None, "")}
    return lead_transition(
        lead=lead,
        action=outcome,
        actor=actor,
        now=now,
        data=clean,
        expected_version=expected_version,
    )


# ---------------------------------------------------------------- templates


def save_template(
    *,
    template: CadenceTemplate,
    actor: User,
    now: datetime,
    name: str,
    recycle_day: int,
    invite_window_days: int,
    steps: Sequence[rules.StepSpec],
    expected_version: int | None = None,
) -> CadenceTemplate:
    """Replace a template's settings and steps; runs already started keep their own copy."""
    if not may_edit_template(actor, template):
        raise NotPermitted(f"{actor} may not edit the cadence '{template.name}'.")
    rules.validate_template(
        name=name, steps=steps, recycle_day=recycle_day, invite_window_days=invite_window_days
    )
    with transaction.atomic():
        locked = CadenceTemplate.objects.select_for_update().get(pk=template.pk)
        if expected_version is not None and locked.version != expected_version:
            raise ValidationError(
                {
                    "version": f"{locked.updated_by or 'someone'} changed this cadence since you "
                    "opened it; reload it and make your change again"
                }
            )
        locked.name = name.strip()
        locked.recycle_day = recycle_day
        locked.invite_window_days = invite_window_days
        locked.updated_at, locked.updated_by = now, actor
        locked.version += 1
        locked.save()
        locked.steps.all().delete()
        ordered = sorted(steps, key=lambda s: (s.day, rules.step_order(s.action)))
        CadenceStep.objects.bulk_create(
            CadenceStep(template=locked, position=i, day=s.day, action=s.action, text=s.text)
            for i, s in enumerate(ordered)
        )
    return locked


def customize_for_team(*, team: Team, actor: User, now: datetime) -> CadenceTemplate:
    """Give a sales team its own copy of the default no-show cadence (or return the one it has)."""
    probe = CadenceTemplate(team=team, trigger=CadenceTrigger.NO_SHOW)
    if not may_edit_template(actor, probe):
        raise NotPermitted(f"{actor} may not set the cadence of {team}.")
    if team.kind != TeamKind.SALES:
        raise ValidationError({"team": f"{team} is not a sales team; cadences are sales work"})
    with transaction.atomic():
        existing = CadenceTemplate.objects.filter(team=team, trigger=CadenceTrigger.NO_SHOW).first()
        if existing is not None:
            return existing
        default = template_for(None)
        copy = CadenceTemplate.objects.create(
            name=f"{default.name} — {team.name}",
            trigger=default.trigger,
            team=team,
            recycle_day=default.recycle_day,
            invite_window_days=default.invite_window_days,
            updated_at=now,
            updated_by=actor,
        )
        CadenceStep.objects.bulk_create(
            CadenceStep(template=copy, position=s.position, day=s.day, action=s.action, text=s.text)
            for s in default.steps.all()
        )
    return copy
