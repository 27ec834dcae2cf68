"""The follow-up's part of the tick: recycle ran-out cadences, mark late steps, flag purgatory.

Each part is exactly-once however many ticks run, and safe when two
workers run it at once:

* Recycling locks the lead (SKIP LOCKED: a lead another worker holds is
  left for the next tick), re-checks that its cadence still runs and is
  due, and makes the recycle move (actor None, `transitions.apply_move`),
  which ends the cadence in the same transaction. A second tick finds it
  ended.
* Late steps are marked by one tick at a time (a transaction-scoped
  advisory lock on PostgreSQL, taken batch by batch; a tick that does not
  get it leaves the work to the one that has it). Within that tick the
  steps are picked with FOR UPDATE SKIP LOCKED, so a lead a rep is writing
  waits for the next tick, and stamped `late_at` with the condition
  re-checked; only the stamped rows notify. Two ticks picking at once could
  both stop short: a row lock taken on a step whose lead the other tick
  held stays until commit, and each then took the other's step for taken.
* Purgatory flags are claimed by a partial unique index (one open flag per
  lead and reason) under a transaction-scoped advisory lock on PostgreSQL
  (SQLite's IMMEDIATE transaction serializes writers anyway); only new
  flags notify (the owner, her manager and the inside rep who produced the
  lead), and flags whose condition is gone are cleared in one UPDATE.

Set-based where rows are many: the late steps and the flags are batched
SELECTs and UPDATEs; only recycling goes lead by lead, because the stage
changes only through a move.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from leadloop.followup.choices import PurgatoryReason, RunState, StepAction, TaskStatus
from leadloop.followup.models import CadenceRun, CadenceTask, CadenceTemplate, PurgatoryFlag
from leadloop.followup.selectors import flag_manager, flag_owner, purgatory_candidates
from leadloop.leads.choices import Action, Stage
from leadloop.leads.states import TransitionNotAllowed
from leadloop.lib.errors import LeadClaimed
from leadloop.lib.times import utc
from leadloop.lifecycle.locks import lock_lead
from leadloop.lifecycle.transitions import apply_move
from leadloop.notifications.choices import NotificationKind
from leadloop.notifications.services import Note, write

log = logging.getLogger("leadloop.followup")

BATCH_SIZE = 1000


@dataclass
class FollowupResult:
    recycled: int = 0
    late: int = 0
    purgatory_flagged: int = 0
    purgatory_cleared: int = 0
    notifications: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def run_followup(*, now: datetime, batch_size: int = BATCH_SIZE) -> FollowupResult:
    """Everything time alone does to follow-up work at `now`."""
    now = utc(now, "now")
    result = FollowupResult()
    # Recycle first: a cadence that ran out skips its open steps rather than
    # warning the rep about them one last time.
    recycle_ran_out(now=now, result=result, batch_size=batch_size)
    mark_late_steps(now=now, result=result, batch_size=batch_size)
    flag_purgatory(now=now, result=result)
    if any(result.as_dict().values()):
        log.info("follow-up tick", extra={"now": now.isoformat(), **result.as_dict()})
    return result


def _advisory_lock(name: str) -> bool:
    """One tick at a time in the part called `name` on PostgreSQL; released at commit.
    (SQLite's IMMEDIATE transactions already serialize the writers.)"""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_xact_lock(%s)", [zlib.crc32(name.encode())])
        row = cur.fetchone()
    return bool(row and row[0])


# ---------------------------------------------------------------- recycling


def recycle_ran_out(*, now: datetime, result: FollowupResult, batch_size: int) -> None:
    last = 0
    while True:
        due = list(
            CadenceRun.objects.filter(state=RunState.RUNNING, recycle_at__lte=now, pk__gt=last)
            .order_by("pk")
            .values_list("pk", "lead_id")[:batch_size]
        )
        for run_id, lead_id in due:
            try:
                if _recycle_one(run_id, lead_id, now):
                    result.recycled += 1
            except (ValidationError, TransitionNotAllowed, LeadClaimed) as exc:
                # One bad lead must not stop the others; it stays due for the next tick.
                log.warning(
                    "recycle failed", extra={"run": run_id, "lead": lead_id, "error": str(exc)}
                )
        if len(due) < batch_size:
            return
        last = due[-1][0]


def _recycle_one(run_id: int, lead_id: int, now: datetime) -> bool:
    with transaction.atomic():
        lead = lock_lead(lead_id, skip_locked=True)
        if lead is None:
            return False  # someone is moving it right now; the next tick looks again
        run = CadenceRun.objects.filter(
            pk=run_id, state=RunState.RUNNING, recycle_at__lte=now
        ).first()
        if run is None:
            return False  # another tick, or the rep, got there first
        if lead.stage != Stage.NO_SHOW:
            CadenceRun.objects.filter(pk=run.pk, state=RunState.RUNNING).update(
                state=RunState.MOVED_ON, ended_at=now, end_note=f"lead is {lead.stage}"
            )
            return False
        tasks = list(CadenceTask.objects.filter(run=run).values_list("action", "status"))
        done = sum(status == TaskStatus.DONE for _, status in tasks)
        invited = any(a == StepAction.INVITATION and s == TaskStatus.DONE for a, s in tasks)
        note = (
            f"No response to the no-show follow-up by business day "
            f"{_recycle_day(run)}: {done} of {len(tasks)} steps done"
            + (", invitation sent" if invited else "")
            + ". Back with the inside rep who set the meeting."
        )
        apply_move(lead, Action.RECYCLE, {"note": note}, actor=None, now=now)
    return True


def _recycle_day(run: CadenceRun) -> int:
    if run.template_id is None:
        return 7
    day = (
        CadenceTemplate.objects.filter(pk=run.template_id)
        .values_list("recycle_day", flat=True)
        .first()
    )
    return int(day or 7)


# ---------------------------------------------------------------- late steps


def mark_late_steps(*, now: datetime, result: FollowupResult, batch_size: int) -> None:
    """Stamp steps past their day once, and tell the sales rep they owe them."""
    while True:
        with transaction.atomic():
            if not _advisory_lock("leadloop.followup.late"):
                return  # another tick is marking; it goes on until none is left
            # Lock the lead with the task: every other writer locks the lead first, and the
            # notifications' foreign keys want it at commit; a lead someone holds is left
            # for the next tick rather than waited for in a circle. A cadence that has run
            # out is the recycler's: its open steps are skipped, not warned about.
            picked = [
                (t.pk, t.assignee_id, t.lead_id, t.day, t.action)
                for t in CadenceTask.objects.select_for_update(
                    skip_locked=True, no_key=True, of=("self", "lead")
                )
                .select_related("lead")
                .only("pk", "assignee_id", "lead_id", "day", "action", "lead__id")
                .filter(status=TaskStatus.PENDING, late_at__isnull=True, due_at__lte=now)
                .filter(run__recycle_at__gt=now)
                .order_by("due_at", "pk")[:batch_size]
            ]
            if not picked:
                return
            CadenceTask.objects.filter(
                pk__in=[p[0] for p in picked], status=TaskStatus.PENDING, late_at__isnull=True
            ).update(late_at=now)
            result.late += len(picked)
            result.notifications += _bulk_notify(
                [
                    (
                        assignee,
                        lead_id,
                        {
                            "summary": f"no-show follow-up, day {day}: "
                            f"{StepAction(action).label.lower()} is late",
                            "actor": "leadloop",
                        },
                    )
                    for _, assignee, lead_id, day, action in picked
                ],
                now,
            )
        if len(picked) < batch_size:
            return


# ---------------------------------------------------------------- purgatory


PURGATORY_TEXT = {
    PurgatoryReason.NO_NEXT_TOUCH: "in purgatory: nurture without a next touch date",
    PurgatoryReason.TOUCH_OVERDUE: "in purgatory: past its next touch date with no activity",
    PurgatoryReason.NO_OWNER: "in purgatory: open, and nobody active owns it",
}


def flag_purgatory(*, now: datetime, result: FollowupResult) -> None:
    """Raise a flag for each lead newly in purgatory (telling its owner and the manager),
    and clear the flags of leads that left it."""
    with transaction.atomic():
        if not _advisory_lock("leadloop.followup.purgatory"):
            return  # another worker is on it
        for reason, leads in purgatory_candidates(now).items():
            still = leads.values("pk")
            result.purgatory_cleared += (
                PurgatoryFlag.objects.filter(reason=reason, cleared_at__isnull=True)
                .exclude(lead_id__in=still)
                .update(cleared_at=now)
            )
            new = list(
                leads.exclude(
                    pk__in=PurgatoryFlag.objects.filter(
                        reason=reason, cleared_at__isnull=True
                    ).values("lead_id")
                )
                .annotate(who=flag_owner(), boss=flag_manager())
                .values_list("pk", "who", "boss", "handed_off_by_id")
            )
            if not new:
                continue
            PurgatoryFlag.objects.bulk_create(
                [
                    PurgatoryFlag(
                        lead_id=lead_id,
                        reason=reason,
                        owner_id=owner,
                        manager_id=manager,
                        flagged_at=now,
                    )
                    for lead_id, owner, manager, _ in new
                ],
                batch_size=BATCH_SIZE,
            )
            result.purgatory_flagged += len(new)
            text = PURGATORY_TEXT[PurgatoryReason(reason)]
            pairs: list[tuple[int | None, int, dict[str, Any]]] = []
            for lead_id, owner, manager, producer in new:
                data = {"summary": text, "actor": "leadloop"}
                # The owner, her manager, and (seed 000) the inside rep who produced it.
                for user in dict.fromkeys((owner, manager, producer)):
                    pairs.append((user, lead_id, data))
            result.notifications += _bulk_notify(pairs, now)


# ---------------------------------------------------------------- notifications


def _bulk_notify(rows: list[tuple[int | None, int, dict[str, Any]]], now: datetime) -> int:
    """One news notification per (user, lead) row, each as its user chose to hear it."""
    told = write(
        [
            Note(user, NotificationKind.LEAD_EVENT, data, lead_id=lead_id)
            for user, lead_id, data in rows
            if user is not None
        ],
        now=now,
    )
    return len(told)
