"""No-show cadences for the demo's simulated leads, by the same rules the services apply.

When the simulation plays a no-show, the cadence is planned with
`followup.rules.plan` on the sales team's calendar from the day the no-show
was recorded, as `lifecycle.cadence_runs` does; the simulation's voicemails,
emails and the invitation mark its steps done (an email step with the text
it sent, filled as `lifecycle.cadence_steps` fills it), and the cadence ends the way the story
goes on (the prospect answers, the lead is lost, or it goes back to the
inside rep). A story that stops at `now` leaves its cadence running, for
the next real tick. As with the SLA clocks, the tick is assumed to have run
every minute before `now`: a step not done by the close of its day was
stamped late then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from leadloop.followup.choices import (
    CadenceTrigger,
    MailState,
    RunState,
    StepAction,
    TaskStatus,
)
from leadloop.followup.rules import (
    StepSpec,
    default_subject,
    fill,
    placeholders,
    plan,
    split_subject,
)
from leadloop.followup.selectors import find_template

RUN_FIELDS = (
    "id",
    "lead_id",
    "template_id",
    "trigger",
    "sales_rep_id",
    "inside_rep_id",
    "team_id",
    "anchor_at",
    "started_at",
    "recycle_at",
    "state",
    "ended_at",
    "end_note",
    "rebooked_for",
)
TASK_FIELDS = (
    "id",
    "run_id",
    "lead_id",
    "assignee_id",
    "position",
    "day",
    "action",
    "text",
    "starts_at",
    "due_at",
    "status",
    "late_at",
    "done_at",
    "done_by_id",
    "activity_id",
    "ended_at",
    "proposed_at",
    "emailed_to",
    "mail_state",
    "mail_subject",
    "mail_body",
    "mail_error",
    "mailed_at",
    "note",
)
END_NOTES = {
    RunState.RESPONDED: "meeting held",
    RunState.MOVED_ON: "Lose",
    RunState.RECYCLED: "no response by the recycle day",
}

Stamp = Callable[[int], str]


@dataclass(slots=True)
class _Task:
    id: int
    position: int
    day: int
    action: str
    text: str
    starts: int
    due: int
    done: int | None = None
    activity: int | None = None
    proposed: int | None = None
    emailed_to: str = ""
    subject: str = ""
    body: str = ""


@dataclass(slots=True)
class Cadence:
    """One no-show cadence of the lead being played."""

    id: int
    lead_id: int
    template_id: int
    sales_rep_id: int
    inside_rep_id: int | None
    team_id: int
    anchor: int
    started: int
    recycle: int
    tasks: list[_Task] = field(default_factory=list)
    state: str = RunState.RUNNING
    ended: int | None = None
    # What the steps' placeholders stand for (the prospect, the rep, the missed meeting).
    names: dict[str, Any] = field(default_factory=dict)


class CadenceBook:
    """Starts, works and ends the cadences of the leads being played; collects their rows."""

    def __init__(self, *, now: int, stamp: Stamp, next_ids: dict[str, int]) -> None:
        self.now = now
        self.stamp = stamp
        self.next_ids = next_ids
        self.cadences: list[Cadence] = []
        self._templates: dict[int, tuple[int, list[StepSpec], int] | None] = {}
        self._plans: dict[tuple[int, int], tuple[list[tuple[Any, int, int]], int]] = {}

    def _template(self, team_id: int) -> tuple[int, list[StepSpec], int] | None:
        if team_id not in self._templates:
            found = find_template(team_id)
            self._templates[team_id] = (
                None
                if found is None
                else (
                    found.pk,
                    [StepSpec(s.day, s.action, s.text) for s in found.steps.all()],
                    found.recycle_day,
                )
            )
        return self._templates[team_id]

    def start(self, lead: Any, rep: Any) -> Cadence | None:
        """The no-show was recorded (`lead.clock`): plan the cadence from then, as
        `lifecycle.cadence_runs.start_no_show` does."""
        team = rep.team
        template = self._template(team.team.pk)
        if template is None:
            return None
        template_id, steps, recycle_day = template
        anchor = lead.clock
        key = (team.team.pk, team.axis.day_of(anchor))
        cached = self._plans.get(key)
        if cached is None:
            # Every time in a plan is a day's opening or close: it depends on the day alone.
            made = plan(team.cal, datetime.fromtimestamp(anchor, UTC), steps, recycle_day)
            cached = self._plans[key] = (
                [(s, int(s.starts_at.timestamp()), int(s.due_at.timestamp())) for s in made.steps],
                int(made.recycle_at.timestamp()),
            )
        planned, recycle = cached
        ids = self.next_ids
        cadence = Cadence(
            id=ids["cadence_run"],
            lead_id=lead.id,
            template_id=template_id,
            sales_rep_id=rep.id,
            inside_rep_id=lead.handed_off_by.id if lead.handed_off_by is not None else None,
            team_id=team.team.pk,
            anchor=anchor,
            started=lead.clock,
            recycle=recycle,
            names={
                "first_name": lead.person.first_name,
                "last_name": lead.person.last_name,
                "company": lead.company.name,
                "rep_name": f"{rep.staff.first_name} {rep.staff.last_name}",
                "meeting": lead.meeting_at,
                "zone": team.zone,
            },
        )
        ids["cadence_run"] += 1
        for step, starts, due in planned:
            cadence.tasks.append(
                _Task(
                    ids["cadence_task"],
                    step.position,
                    step.day,
                    step.action,
                    step.text,
                    starts,
                    due,
                )
            )
            ids["cadence_task"] += 1
        self.cadences.append(cadence)
        return cadence

    def done(
        self,
        cadence: Cadence | None,
        day: int,
        action: str,
        at: int,
        *,
        email: str = "",
        proposed: int | None = None,
    ) -> None:
        """The rep did the step: the activity just logged is its record."""
        if cadence is None:
            return
        for task in cadence.tasks:
            if task.day == day and task.action == action and task.done is None:
                task.done, task.activity = at, self.next_ids["activity"] - 1
                task.proposed = proposed
                if action != StepAction.VOICEMAIL and email:
                    task.emailed_to = email
                    values = placeholders(
                        **cadence.names,
                        proposed=datetime.fromtimestamp(proposed, UTC) if proposed else None,
                    )
                    task.subject, task.body = split_subject(
                        fill(task.text, values), default=default_subject(action)
                    )
                return

    def end(self, cadence: Cadence | None, state: str, at: int) -> None:
        if cadence is not None and cadence.state == RunState.RUNNING:
            cadence.state, cadence.ended = state, at

    def take(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every lead in the batch is played to its end: its cadences are final."""
        runs: list[tuple[Any, ...]] = []
        tasks: list[tuple[Any, ...]] = []
        t = self.stamp
        for c in self.cadences:
            runs.append(
                (
                    c.id,
                    c.lead_id,
                    c.template_id,
                    str(CadenceTrigger.NO_SHOW.value),
                    c.sales_rep_id,
                    c.inside_rep_id,
                    c.team_id,
                    t(c.anchor),
                    t(c.started),
                    t(c.recycle),
                    str(c.state),
                    t(c.ended) if c.ended is not None else None,
                    END_NOTES.get(RunState(c.state), "") if c.ended is not None else "",
                    None,
                )
            )
            # Until the cadence ended (or now), an undone step past its close was late.
            end = c.ended if c.ended is not None else self.now
            for k in c.tasks:
                if k.done is not None:
                    status, ended = TaskStatus.DONE, None
                elif c.state == RunState.RUNNING:
                    status, ended = TaskStatus.PENDING, None
                elif c.state == RunState.RECYCLED:
                    status, ended = TaskStatus.SKIPPED, c.ended
                else:
                    status, ended = TaskStatus.CANCELLED, c.ended
                late = k.due < min(end, self.now) and (k.done is None or k.done > k.due)
                if status == TaskStatus.CANCELLED and (ended is None or ended <= k.due):
                    late = False
                tasks.append(
                    (
                        k.id,
                        c.id,
                        c.lead_id,
                        c.sales_rep_id,
                        k.position,
                        k.day,
                        k.action,
                        k.text,
                        t(k.starts),
                        t(k.due),
                        str(status.value),
                        t(k.due) if late else None,
                        t(k.done) if k.done is not None else None,
                        c.sales_rep_id if k.done is not None else None,
                        k.activity,
                        t(ended) if ended is not None else None,
                        t(k.proposed) if k.proposed is not None else None,
                        k.emailed_to,
                        str(MailState.SENT.value) if k.emailed_to else "",
                        k.subject[:200],
                        k.body,
                        "",
                        t(k.done) if k.emailed_to and k.done is not None else None,
                        "",
                    )
                )
        self.cadences = []
        return {"cadence_run": runs, "cadence_task": tasks}
