"""Starting and stopping a lead's SLA clocks, inside the action that moves the lead.

These run in the caller's transaction with the lead row locked. The open
clocks of the lead are locked too, because the sweep may be marking one of
them breached at the same moment: whoever updates a running clock first
decides how it ended, and only that writer records the breach. Which clocks
a move starts and stops is `sla.rules.clock_plan`, shared with the demo.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from leadloop.accounts.calendars import team_calendar
from leadloop.accounts.models import Team
from leadloop.campaigns.selectors import policy_for
from leadloop.leads.models import Lead
from leadloop.lifecycle import events
from leadloop.sla import rules
from leadloop.sla.choices import INSIDE_KINDS, ClockKind, ClockResult
from leadloop.sla.models import SlaClock


def clock_team(lead: Lead, kind: str) -> Team:
    """Inside clocks run on the lead's team calendar, sales clocks on the sales rep's."""
    if kind not in INSIDE_KINDS and lead.sales_rep_id is not None and lead.sales_rep is not None:
        team = lead.sales_rep.team
        if team is not None:
            return team
    return lead.team


def clock_user(lead: Lead, kind: str) -> int | None:
    return lead.owner_id if kind in INSIDE_KINDS else lead.sales_rep_id


def plan_clocks(
    *,
    lead: Lead,
    kinds: Iterable[str],
    now: datetime,
    policy: rules.Policy | None = None,
    base: dict[str, datetime] | None = None,
) -> list[SlaClock]:
    """Unsaved clocks of each kind for the lead; `base` gives a start other than now (meetings).

    Sets the lead's `first_contact_due` / `conclude_due` columns for the
    inside clocks; the caller saves the lead.
    """
    policy = policy or policy_for(lead.campaign)
    clocks = []
    for kind in sorted(set(kinds)):
        team = clock_team(lead, kind)
        cal = team_calendar(team)
        start = (base or {}).get(kind, now)
        due = rules.due_at(kind, policy, cal, start)
        clocks.append(
            SlaClock(
                lead=lead,
                kind=kind,
                team=team,
                user_id=clock_user(lead, kind),
                started_at=start,
                due_at=due,
                warn_at=rules.warn_at(kind, cal, start, due),
            )
        )
        if kind == ClockKind.FIRST_CONTACT:
            lead.first_contact_due = due
        elif kind == ClockKind.CONCLUDE:
            lead.conclude_due = due
    return clocks


def start(
    *, lead: Lead, kinds: Iterable[str], now: datetime, base: dict[str, datetime] | None = None
) -> list[SlaClock]:
    """Open a clock of each kind on a saved lead."""
    kinds = set(kinds)
    if not kinds:
        return []
    return SlaClock.objects.bulk_create(plan_clocks(lead=lead, kinds=kinds, now=now, base=base))


def stop(
    *, lead: Lead, kinds: Iterable[str] | None, now: datetime, by: str, cancel: bool = False
) -> list[SlaClock]:
    """Stop the lead's open clocks of `kinds` (None: all). Returns the stopped clocks.

    A running clock ends met if it is on time, breached if late (the sweep
    had not got to it yet: its breach event is written here), or cancelled.
    A clock the sweep already breached keeps that result and is closed.
    """
    qs = SlaClock.objects.select_for_update().filter(lead_id=lead.pk, stopped_at__isnull=True)
    if kinds is not None:
        kinds = list(kinds)
        if not kinds:
            return []
        qs = qs.filter(kind__in=kinds)
    clocks = list(qs)
    late: list[SlaClock] = []
    groups: dict[tuple[str, bool], list[int]] = {}
    for clock in clocks:
        if clock.result == ClockResult.RUNNING:
            if cancel:
                clock.result = ClockResult.CANCELLED
            elif now <= clock.due_at:
                clock.result = ClockResult.MET
            else:
                clock.result = ClockResult.BREACHED
                clock.breached_at = now
                late.append(clock)
        clock.stopped_at, clock.stopped_by = now, by
        groups.setdefault((clock.result, clock in late), []).append(clock.pk)
    for (result, is_late), ids in groups.items():
        fields: dict[str, Any] = {"result": result, "stopped_at": now, "stopped_by": by}
        if is_late:
            fields["breached_at"] = now
        SlaClock.objects.filter(pk__in=ids).update(**fields)
    if late:
        events.record(
            lead,
            [events.sla_breached(clock=c.kind, clock_id=c.pk, stopped_by=by) for c in late],
            at=now,
            actor=None,
        )
    return clocks


def restart(*, lead: Lead, kinds: Iterable[str], now: datetime, by: str) -> None:
    """Stop the lead's open clocks of `kinds` as met and start them again from now."""
    kinds = list(kinds)
    if kinds:
        stop(lead=lead, kinds=kinds, now=now, by=by)
        start(lead=lead, kinds=kinds, now=now)


def apply_plan(
    *, lead: Lead, plan: rules.ClockPlan, to_stage: str, now: datetime, by: str
) -> list[str]:
    """Stop and start the clocks a move calls for, on the lead as the move left it.

    Returns the lead's due columns it set (the caller saves the lead).
    """
    # Into a closed stage nothing stays open, whatever was open before.
    closing = not rules.clocks_for(to_stage)
    if closing or plan.stop:
        stop(lead=lead, kinds=None if closing else plan.stop, now=now, by=by, cancel=plan.cancel)
    base: dict[str, datetime] = {}
    if ClockKind.MEETING_OUTCOME in plan.start and lead.meeting_at is not None:
        base[ClockKind.MEETING_OUTCOME] = lead.meeting_at
    start(lead=lead, kinds=plan.start, now=now, base=base)
    due = {ClockKind.FIRST_CONTACT: "first_contact_due", ClockKind.CONCLUDE: "conclude_due"}
    return [column for kind, column in due.items() if kind in plan.start]


def move_to(*, lead_ids: list[int], user_id: int) -> None:
    """The running inside clocks of reassigned leads are owed by their new owner."""
    SlaClock.objects.filter(
        lead_id__in=lead_ids, stopped_at__isnull=True, kind__in=INSIDE_KINDS
    ).update(user_id=user_id)
