"""/api/v1/followup: the sales inbox, meeting outcomes, cadence tasks, feedback owed, purgatory,
cadence templates. Thin: selectors read, services write; errors map in `api.router`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from pydantic import StrictBool

from leadloop.accounts.models import Team, User
from leadloop.api.auth import caller
from leadloop.api.schemas import ERRORS, ConflictOut, ErrorOut, Id, UtcDateTime, ValidationErrorOut
from leadloop.followup import ics, selectors
from leadloop.followup.choices import PurgatoryReason, StepAction, TaskStatus
from leadloop.followup.models import CadenceRun, CadenceTask
from leadloop.followup.permissions import may_see_templates
from leadloop.followup.rules import StepSpec
from leadloop.followup.services import customize_for_team, save_template
from leadloop.leads.models import Lead
from leadloop.leads.selectors import visible_leads
from leadloop.lib.errors import NotPermitted
from leadloop.lifecycle.cadence_steps import complete_task, rebook_meeting, resend_mail
from leadloop.lifecycle.sales import accept_handoff, record_outcome, reject_handoff

router = Router(tags=["follow-up"])

WRITE_ERRORS: dict[int, Any] = {**ERRORS, 409: ConflictOut}


def _lead(user: User, lead_id: int) -> Lead:
    return get_object_or_404(visible_leads(user).only("pk"), pk=lead_id)


# ---------------------------------------------------------------- shapes


class LeadStateOut(Schema):
    id: int
    stage: str
    version: int
    sales_rep: int | None
    owner: int | None
    meeting_at: datetime | None


def lead_state(lead: Lead) -> dict[str, Any]:
    return {
        "id": lead.pk,
        "stage": lead.stage,
        "version": lead.version,
        "sales_rep": lead.sales_rep_id,
        "owner": lead.owner_id,
        "meeting_at": lead.meeting_at,
    }


class ClockOut(Schema):
    kind: str
    state: str
    due_at: datetime


class InboxOut(Schema):
    lead: int
    name: str
    company: str
    stage: str
    version: int
    sales_rep: int | None
    inside_rep: int | None
    inside_rep_name: str
    handed_off_at: datetime | None
    meeting_at: datetime | None
    write_up: str
    answers: dict[str, Any]
    warm_call_confirmed: bool
    accept_clock: ClockOut | None


class VersionIn(Schema):
    expected_version: int | None = Field(
        None, description="The lead's version you read; a newer one answers 409, nothing changes."
    )


class RejectIn(VersionIn):
    reason_code: str | int | None = Field(
        None, description="A reason code of kind 'reject' (GET /reason-codes?kind=reject)."
    )
    note: str = ""


Outcome = Literal[
    "meeting_held", "no_show", "open_opportunity", "nurture", "disqualify", "lose", "win"
]


class OutcomeIn(VersionIn):
    outcome: Outcome
    amount: Decimal | None = Field(None, description="open_opportunity: the amount.")
    expected_close_on: date | None = Field(None, description="open_opportunity.")
    next_touch_on: date | None = Field(None, description="nurture: required.")
    reason_code: str | int | None = Field(None, description="disqualify and lose: required.")
    revenue: Decimal | None = Field(None, description="win: required.")
    note: str | None = None


class RebookIn(Schema):
    meeting_at: UtcDateTime
    note: str = ""


class TaskOut(Schema):
    id: int
    lead: int
    run: int
    assignee: int | None
    position: int
    day: int
    action: str
    text: str
    starts_at: datetime
    due_at: datetime
    status: str
    late: bool
    done_at: datetime | None
    done_by: int | None
    activity: int | None
    proposed_at: datetime | None
    emailed_to: str
    mail_state: str = Field(description='"" (no email), queued, sent or failed')
    mail_subject: str
    mail_error: str
    mailed_at: datetime | None
    invitation_url: str | None


def task_json(task: CadenceTask, now: datetime) -> dict[str, Any]:
    invitation = None
    if task.action == StepAction.INVITATION and task.status == TaskStatus.DONE:
        invitation = f"/api/v1/followup/tasks/{task.pk}/invitation.ics"
    return {
        "id": task.pk,
        "lead": task.lead_id,
        "run": task.run_id,
        "assignee": task.assignee_id,
        "position": task.position,
        "day": task.day,
        "action": task.action,
        "text": task.text,
        "starts_at": task.starts_at,
        "due_at": task.due_at,
        "status": task.status,
        "late": task.is_late(now),
        "done_at": task.done_at,
        "done_by": task.done_by_id,
        "activity": task.activity_id,
        "proposed_at": task.proposed_at,
        "emailed_to": task.emailed_to,
        "mail_state": task.mail_state,
        "mail_subject": task.mail_subject,
        "mail_error": task.mail_error,
        "mailed_at": task.mailed_at,
        "invitation_url": invitation,
    }


class CompleteIn(Schema):
    note: str = ""
    proposed_at: UtcDateTime | None = Field(
        None,
        description="Invitation steps: the new meeting time, in opening hours, within the "
        "template's window of business days.",
    )
    send_email: StrictBool = Field(
        True, description="Email and invitation steps: leadloop emails the prospect."
    )


class CadenceOut(Schema):
    id: int
    lead: int
    trigger: str
    state: str
    sales_rep: int | None
    inside_rep: int | None
    anchor_at: datetime
    started_at: datetime
    recycle_at: datetime
    ended_at: datetime | None
    end_note: str
    rebooked_for: datetime | None
    tasks: list[TaskOut]


def run_json(run: CadenceRun, now: datetime) -> dict[str, Any]:
    return {
        "id": run.pk,
        "lead": run.lead_id,
        "trigger": run.trigger,
        "state": run.state,
        "sales_rep": run.sales_rep_id,
        "inside_rep": run.inside_rep_id,
        "anchor_at": run.anchor_at,
        "started_at": run.started_at,
        "recycle_at": run.recycle_at,
        "ended_at": run.ended_at,
        "end_note": run.end_note,
        "rebooked_for": run.rebooked_for,
        "tasks": [task_json(t, now) for t in run.tasks.order_by("position")],
    }


class TaskStatsOut(Schema):
    done: int
    done_late: int
    skipped: int
    overdue: int


class RepDebtOut(Schema):
    sales_rep: int | None
    name: str
    overdue: int
    overdue_outcomes: int
    overdue_updates: int
    owed: int
    oldest_due: datetime | None
    cadence_steps: TaskStatsOut


class OwedOut(Schema):
    lead: int
    stage: str
    kind: str
    sales_rep: int | None
    inside_rep: int | None
    due_at: datetime
    overdue_business_hours: float


class FeedbackOwedOut(Schema):
    total: int
    reps: list[RepDebtOut]
    overdue: list[OwedOut]


class PurgatoryRowOut(Schema):
    lead: int
    reason: str
    stage: str
    owner: int | None
    sales_rep: int | None
    next_touch_on: date | None
    last_activity_at: datetime | None
    flagged_at: datetime | None


class PurgatoryOut(Schema):
    total: int
    counts: dict[str, int]
    items: list[PurgatoryRowOut]


class StepIO(Schema):
    day: int = Field(description="Business days after the missed meeting (day 0).")
    action: StepAction
    text: str = ""


class TemplateOut(Schema):
    id: int
    name: str
    trigger: str
    team: int | None
    recycle_day: int
    invite_window_days: int
    version: int
    editable: bool
    running: int
    steps: list[StepIO]


class TemplateIn(Schema):
    name: str
    recycle_day: int
    invite_window_days: int = 5
    steps: list[StepIO]
    expected_version: int | None = None


class CustomizeIn(Schema):
    team: Id = Field(description="A sales team you manage; it gets a copy of the default.")


def template_json(view: selectors.TemplateView) -> dict[str, Any]:
    t = view.template
    return {
        "id": t.pk,
        "name": t.name,
        "trigger": t.trigger,
        "team": t.team_id,
        "recycle_day": t.recycle_day,
        "invite_window_days": t.invite_window_days,
        "version": t.version,
        "editable": view.editable,
        "running": view.running,
        "steps": [{"day": s.day, "action": s.action, "text": s.text} for s in t.steps.all()],
    }


# ---------------------------------------------------------------- the sales inbox and outcomes


@router.get(
    "/inbox",
    response={200: list[InboxOut], **ERRORS},
    summary="Handoffs waiting for acceptance",
    description="A sales rep's own; a manager's team's. Oldest first, with the write-up, the "
    "qualification answers, the inside rep who set the meeting and the acceptance clock.",
)
def inbox(request: HttpRequest) -> Any:
    now = timezone.now()
    out = []
    for item in selectors.sales_inbox(caller(request), now):
        lead, handoff, clock = item.lead, item.handoff, item.accept_clock
        inside = handoff.from_rep if handoff else lead.handed_off_by
        out.append(
            {
                "lead": lead.pk,
                "name": lead.full_name,
                "company": lead.company,
                "stage": lead.stage,
                "version": lead.version,
                "sales_rep": lead.sales_rep_id,
                "inside_rep": inside.pk if inside else None,
                "inside_rep_name": str(inside) if inside else "",
                "handed_off_at": lead.handed_off_at,
                "meeting_at": lead.meeting_at,
                "write_up": handoff.write_up if handoff else "",
                "answers": handoff.answers if handoff else {},
                "warm_call_confirmed": handoff.warm_call_confirmed if handoff else False,
                "accept_clock": {
                    "kind": clock.kind,
                    "state": item.accept_state,
                    "due_at": clock.due_at,
                }
                if clock
                else None,
            }
        )
    return out


@router.post(
    "/leads/{lead_id}/accept",
    response={200: LeadStateOut, **WRITE_ERRORS},
    summary="Accept a handoff",
)
def accept(request: HttpRequest, lead_id: int, payload: VersionIn) -> Any:
    user = caller(request)
    lead = accept_handoff(
        lead=_lead(user, lead_id).pk,
        actor=user,
        now=timezone.now(),
        expected_version=payload.expected_version,
    )
    return lead_state(lead)


@router.post(
    "/leads/{lead_id}/reject",
    response={200: LeadStateOut, **WRITE_ERRORS},
    summary="Reject a handoff with a reason code",
    description="The lead goes back to its inside rep's queue with the reason, a notification "
    "and a fresh first-contact SLA. 422 naming `reason_code` without one.",
)
def reject(request: HttpRequest, lead_id: int, payload: RejectIn) -> Any:
    user = caller(request)
    lead = reject_handoff(
        lead=_lead(user, lead_id).pk,
        actor=user,
        now=timezone.now(),
        reason_code=payload.reason_code,
        note=payload.note,
        expected_version=payload.expected_version,
    )
    return lead_state(lead)


@router.post(
    "/leads/{lead_id}/outcome",
    response={200: LeadStateOut, **WRITE_ERRORS},
    summary="Record a meeting's outcome, or what came of it",
    description="meeting_held or no_show (not before the meeting: 422 on `meeting_at`); after a "
    "held meeting: open_opportunity (`amount`, `expected_close_on`), nurture "
    "(`next_touch_on` required; the sales rep stays the owner), disqualify and lose "
    "(`reason_code` required), win (`revenue` required). A no-show starts the no-show "
    "cadence.",
)
def outcome(request: HttpRequest, lead_id: int, payload: OutcomeIn) -> Any:
    user = caller(request)
    data = payload.dict(exclude={"outcome", "expected_version"}, exclude_none=True)
    lead = record_outcome(
        lead=_lead(user, lead_id).pk,
        outcome=payload.outcome,
        actor=user,
        now=timezone.now(),
        data=data,
        expected_version=payload.expected_version,
    )
    return lead_state(lead)


@router.post(
    "/leads/{lead_id}/rebook",
    response={200: LeadStateOut, **WRITE_ERRORS},
    summary="The no-show prospect took a new time: move the meeting, stop the cadence",
)
def rebook(request: HttpRequest, lead_id: int, payload: RebookIn) -> Any:
    user = caller(request)
    lead = rebook_meeting(
        lead=_lead(user, lead_id).pk,
        meeting_at=payload.meeting_at,
        actor=user,
        now=timezone.now(),
        note=payload.note,
    )
    return lead_state(lead)


@router.get(
    "/leads/{lead_id}/cadence",
    response={200: CadenceOut, **ERRORS},
    summary="The lead's latest cadence with its steps (404: none)",
)
def lead_cadence(request: HttpRequest, lead_id: int) -> Any:
    lead = _lead(caller(request), lead_id)
    run = CadenceRun.objects.filter(lead=lead).order_by("-started_at", "-pk").first()
    if run is None:
        raise Http404("This lead has no cadence.")
    return run_json(run, timezone.now())


# ---------------------------------------------------------------- cadence tasks


@router.get(
    "/tasks",
    response={200: list[TaskOut], **ERRORS},
    summary="Cadence tasks: a sales rep's own, a manager's team's",
    description="Oldest due first. `status`: pending (default), done, skipped, cancelled, all.",
)
def list_tasks(
    request: HttpRequest,
    status: Literal["pending", "done", "skipped", "cancelled", "all"] = "pending",
    assignee: Id | None = None,
    lead: Id | None = None,
    limit: int = Query(200, ge=1, le=1000),
) -> Any:
    now = timezone.now()
    qs = selectors.visible_tasks(caller(request))
    if status != "all":
        qs = qs.filter(status=status)
    if assignee is not None:
        qs = qs.filter(assignee_id=assignee)
    if lead is not None:
        qs = qs.filter(lead_id=lead)
    return [task_json(t, now) for t in qs.order_by("due_at", "position", "pk")[:limit]]


@router.post(
    "/tasks/{task_id}/complete",
    response={200: TaskOut, **WRITE_ERRORS},
    summary="Do a cadence step",
    description="Logs the step's activity (a voicemail call, or a sent email) and tells the "
    "inside rep; for email and invitation steps the prospect's email (with the .ics "
    "attached) is queued and sent by the worker once the step is recorded (`mail_state`: "
    "queued, sent, or failed with `mail_error`). Doing a done step again changes nothing. "
    "An invitation needs `proposed_at`.",
)
def complete(request: HttpRequest, task_id: int, payload: CompleteIn) -> Any:
    user = caller(request)
    task = get_object_or_404(selectors.visible_tasks(user).only("pk"), pk=task_id)
    now = timezone.now()
    done = complete_task(
        task=task.pk,
        actor=user,
        now=now,
        note=payload.note,
        proposed_at=payload.proposed_at,
        send_email=payload.send_email,
    )
    return task_json(done, now)


@router.post(
    "/tasks/{task_id}/resend",
    response={200: TaskOut, **WRITE_ERRORS},
    summary="Send a step's email again after the mail server refused it",
)
def resend(request: HttpRequest, task_id: int) -> Any:
    user = caller(request)
    task = get_object_or_404(selectors.visible_tasks(user).only("pk"), pk=task_id)
    now = timezone.now()
    return task_json(resend_mail(task=task.pk, actor=user, now=now), now)


@router.get(
    "/tasks/{task_id}/invitation.ics",
    # The 200 is a calendar file, declared below (one "200" in the schema, not two).
    response={404: ErrorOut, 401: ErrorOut, 422: ValidationErrorOut},
    summary="The invitation an invitation step sent, as an iCalendar file",
    openapi_extra={
        "responses": {
            200: {
                "description": "text/calendar (METHOD:REQUEST)",
                "content": {"text/calendar": {"schema": {"type": "string"}}},
            }
        }
    },
)
def invitation(request: HttpRequest, task_id: int) -> HttpResponse:
    task = get_object_or_404(
        selectors.visible_tasks(caller(request)).select_related("lead", "done_by"),
        pk=task_id,
        action=StepAction.INVITATION,
        status=TaskStatus.DONE,
    )
    if task.proposed_at is None or task.done_at is None:
        raise Http404("The invitation has not been sent.")
    body = ics.invitation(
        task=task, lead=task.lead, organizer=task.done_by, start=task.proposed_at, now=task.done_at
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8; method=REQUEST")
    response["Content-Disposition"] = f'attachment; filename="{ics.filename(task)}"'
    return response


# ---------------------------------------------------------------- feedback owed and purgatory


@router.get(
    "/feedback-owed",
    response={200: FeedbackOwedOut, **ERRORS},
    summary="Feedback owed per sales rep: overdue outcomes and updates",
)
def feedback_owed(request: HttpRequest, sales_rep: Id | None = None) -> Any:
    now = timezone.now()
    owed = selectors.feedback_owed(caller(request), now, rep=sales_rep)
    return {
        "total": owed.total,
        "reps": [
            {
                "sales_rep": d.rep.pk if d.rep else None,
                "name": str(d.rep) if d.rep else "",
                "overdue": d.overdue,
                "overdue_outcomes": d.feedback,
                "overdue_updates": d.update,
                "owed": d.owed,
                "oldest_due": d.oldest_due,
                "cadence_steps": {
                    "done": d.tasks.done,
                    "done_late": d.tasks.done_late,
                    "skipped": d.tasks.skipped,
                    "overdue": d.tasks.overdue,
                },
            }
            for d in owed.reps
        ],
        "overdue": [
            {
                "lead": r.lead.pk,
                "stage": r.lead.stage,
                "kind": r.clock.kind,
                "sales_rep": r.lead.sales_rep_id,
                "inside_rep": r.lead.handed_off_by_id,
                "due_at": r.clock.due_at,
                "overdue_business_hours": round(r.overdue_by.total_seconds() / 3600, 2),
            }
            for r in owed.rows
        ],
    }


@router.get(
    "/purgatory",
    response={200: PurgatoryOut, **ERRORS},
    summary="Leads in purgatory",
    description="Nurture without a next touch date, nurture past its next touch date with no "
    "activity, open leads without an active owner.",
)
def purgatory(request: HttpRequest, reason: PurgatoryReason | None = None) -> Any:
    found = selectors.purgatory(caller(request), timezone.now(), reason=reason)
    return {
        "total": found.total,
        "counts": {key: n for key, _, n in found.counts},
        "items": [
            {
                "lead": r.lead.pk,
                "reason": r.reason,
                "stage": r.lead.stage,
                "owner": r.lead.owner_id,
                "sales_rep": r.lead.sales_rep_id,
                "next_touch_on": r.lead.next_touch_on,
                "last_activity_at": r.lead.last_activity_at,
                "flagged_at": r.flagged_at,
            }
            for r in found.rows
        ],
    }


# ---------------------------------------------------------------- cadence templates


def _templates_for(user: User) -> list[selectors.TemplateView]:
    if not may_see_templates(user):
        raise NotPermitted("Cadences are set by managers and admins.")
    return selectors.cadence_templates(user)


@router.get(
    "/cadences",
    response={200: list[TemplateOut], **ERRORS},
    summary="Cadence templates: the default and your teams' own",
)
def list_cadences(request: HttpRequest) -> Any:
    return [template_json(v) for v in _templates_for(caller(request))]


def _template_view(user: User, template_id: int) -> selectors.TemplateView:
    for view in _templates_for(user):
        if view.template.pk == template_id:
            return view
    raise Http404("No such cadence.")


@router.get("/cadences/{template_id}", response={200: TemplateOut, **ERRORS}, summary="One cadence")
def get_cadence(request: HttpRequest, template_id: int) -> Any:
    return template_json(_template_view(caller(request), template_id))


@router.put(
    "/cadences/{template_id}",
    response={200: TemplateOut, **ERRORS},
    summary="Replace a cadence's settings and steps",
    description="422 when steps overlap (the same action on the same day), fall on or after "
    "the recycle day, or are unknown. Running cadences keep the steps they started with.",
)
def put_cadence(request: HttpRequest, template_id: int, payload: TemplateIn) -> Any:
    user = caller(request)
    view = _template_view(user, template_id)
    save_template(
        template=view.template,
        actor=user,
        now=timezone.now(),
        name=payload.name,
        recycle_day=payload.recycle_day,
        invite_window_days=payload.invite_window_days,
        steps=[StepSpec(s.day, str(s.action), s.text) for s in payload.steps],
        expected_version=payload.expected_version,
    )
    return template_json(_template_view(user, template_id))


@router.post(
    "/cadences",
    response={201: TemplateOut, **ERRORS},
    summary="Give a sales team its own copy of the default cadence",
)
def customize(request: HttpRequest, payload: CustomizeIn) -> Any:
    user = caller(request)
    team = get_object_or_404(Team, pk=payload.team)
    template = customize_for_team(team=team, actor=user, now=timezone.now())
    return Status(201, template_json(_template_view(user, template.pk)))
