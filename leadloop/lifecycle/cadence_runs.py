"""The no-show cadence (seed 004) as the moves start and end it.

A no-show starts a run on the sales team's calendar, dated from the day the
no-show is recorded (a no-show recorded three days late does not give birth
to late steps, nor recycle the lead a minute later). Any later move ends the
run; a reply, a held or rebooked meeting stops it. Doing the steps is
`cadence_steps`.
"""

from __future__ import annotations

from datetime import datetime

from leadloop.accounts.calendars import team_calendar
from leadloop.accounts.models import User
from leadloop.followup import rules
from leadloop.followup.choices import CadenceTrigger, RunState, TaskStatus
from leadloop.followup.models import CadenceRun, CadenceTask
from leadloop.followup.selectors import find_template
from leadloop.leads.choices import Action, Stage
from leadloop.leads.models import Lead
from leadloop.lifecycle import news
from leadloop.lifecycle.effects import Move
from leadloop.outreach.models import Activity

# Outcomes that mean the prospect answered: the cadence has done its job.
RESPONSES = frozenset({"replied", "connected", "held"})
REBOOKED = "scheduled"


def on_move(*, lead: Lead, move: Move, actor: User | None, now: datetime) -> None:
    """Start the no-show cadence, or end the running one when the lead moves on."""
    if move.action == Action.NO_SHOW:
        run = _running(lead)
        if run is not None:  # cannot happen through the lifecycle; never leave two running
            end_run(run, RunState.MOVED_ON, now, "a new no-show", TaskStatus.CANCELLED)
        start_no_show(lead, now)
        return
    if move.from_stage != Stage.NO_SHOW:
        return
    run = _running(lead)
    if run is None:
        return
    if move.action != Action.RECYCLE:
        end_run(run, RunState.MOVED_ON, now, str(Action(move.action).label), TaskStatus.CANCELLED)
        return
    skipped = end_run(
        run,
        RunState.RECYCLED,
        now,
        "no response by the recycle day" if actor is None else f"recycled by {actor}",
        TaskStatus.SKIPPED,
    )
    if run.sales_rep_id is not None and (actor is None or actor.pk != run.sales_rep_id):
        back_to = User.objects.filter(pk=lead.owner_id).first() if lead.owner_id else None
        plural = "s" if skipped != 1 else ""
        news.tell(
            [run.sales_rep_id],
            lead=lead,
            now=now,
            summary=f"back to {back_to or 'the inside team'}: no response to the no-show follow-up",
            actor=news.actor_name(actor),
            note=f"{skipped} step{plural} of the cadence were not done." if skipped else "",
        )


def _running(lead: Lead) -> CadenceRun | None:
    return (
        CadenceRun.objects.select_for_update(of=("self",))
        .filter(lead_id=lead.pk, state=RunState.RUNNING)
        .first()
    )


def start_no_show(lead: Lead, now: datetime) -> CadenceRun | None:
    """Plan the no-show cadence on the sales team's calendar from the day it is recorded."""
    rep = lead.sales_rep
    team = rep.team if rep is not None and rep.team is not None else lead.team
    template = find_template(team.pk)
    if template is None:
        # Recording the no-show matters more than the cadence an admin deleted.
        return None
    plan = rules.plan(
        team_calendar(team),
        now,
        [rules.StepSpec(s.day, s.action, s.text) for s in template.steps.all()],
        template.recycle_day,
    )
    run = CadenceRun.objects.create(
        lead=lead,
        template=template,
        trigger=CadenceTrigger.NO_SHOW,
        sales_rep=rep,
        inside_rep_id=lead.handed_off_by_id,
        team=team,
        anchor_at=now,
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


def end_run(run: CadenceRun, state: str, now: datetime, note: str, pending_to: str) -> int:
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


def on_activity(*, lead: Lead, activity: Activity, now: datetime) -> str:
    """A prospect who answers, or a rebooked or held meeting, stops the cadence.

    Returns what happened to the cadence, for the news of the activity ("" if nothing).
    """
    outcome = activity.outcome
    if lead.stage != Stage.NO_SHOW or (outcome not in RESPONSES and outcome != REBOOKED):
        return ""
    run = _running(lead)
    if run is None or activity.occurred_at < run.anchor_at:
        return ""
    state = RunState.REBOOKED if outcome == REBOOKED else RunState.RESPONDED
    what = f"{activity.get_kind_display().lower()} {activity.get_outcome_display().lower()}"
    end_run(run, state, now, what, TaskStatus.CANCELLED)
    return f"no-show follow-up stopped: {RunState(state).label.lower()} ({what})"
