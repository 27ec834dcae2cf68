"""SLA rules as plain functions: when each clock is due, and which clocks a move starts or stops.

Nothing here reads the database. `sla.services` applies these rules to a
lead inside `leads.services.lead_transition`; the demo simulation applies the
same rules when it writes a year of history, so both agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from leadloop.campaigns.choices import SlaUnit
from leadloop.leads.choices import Action, Stage
from leadloop.lib.businesscal import (
    Calendar,
    add_business_days,
    add_business_hours,
    business_time_between,
)
from leadloop.sla.choices import ClockKind

# A clock warns its owner when this share of its allowed business time is gone.
AT_RISK_SHARE = 0.8


class Policy(Protocol):
    """The fields of `campaigns.SourcePolicy` the rules read."""

    first_contact_amount: int
    first_contact_unit: str
    max_open_days: int
    accept_days: int
    outcome_days: int
    feedback_days: int
    update_days: int


def first_contact_due(policy: Policy, cal: Calendar, start: datetime) -> datetime:
    """When a lead arriving at `start` must first be contacted (seed 003)."""
    if policy.first_contact_unit == SlaUnit.BUSINESS_HOURS:
        return add_business_hours(cal, start, policy.first_contact_amount)
    return add_business_days(cal, start, policy.first_contact_amount)


def conclude_due(policy: Policy, cal: Calendar, start: datetime) -> datetime:
    """When a lead must be handed off, disqualified or unreachable: no lead ages past a week."""
    return add_business_days(cal, start, policy.max_open_days)


def due_at(kind: str, policy: Policy, cal: Calendar, start: datetime) -> datetime:
    """The due time of a clock of `kind` counting from `start` (a meeting's time for outcomes)."""
    match kind:
        case ClockKind.FIRST_CONTACT:
            return first_contact_due(policy, cal, start)
        case ClockKind.CONCLUDE:
            return conclude_due(policy, cal, start)
        case ClockKind.ACCEPT:
            return add_business_days(cal, start, policy.accept_days)
        case ClockKind.MEETING_OUTCOME:
            return add_business_days(cal, start, policy.outcome_days)
        case ClockKind.FEEDBACK:
            return add_business_days(cal, start, policy.feedback_days)
        case ClockKind.UPDATE:
            # "Updated at least every 30 days" is a calendar promise, not business time.
            return start + timedelta(days=policy.update_days)
    raise ValueError(f"unknown clock kind {kind!r}")


def warn_at(kind: str, cal: Calendar, start: datetime, due: datetime) -> datetime:
    """When the clock is "at risk": 80% of its allowed time, counted the way the SLA counts."""
    if due <= start:
        return due
    if kind == ClockKind.UPDATE:
        return start + (due - start) * AT_RISK_SHARE
    allowed = business_time_between(cal, start, due)
    return min(add_business_hours(cal, start, allowed * AT_RISK_SHARE), due)


# Which clocks are open while a lead sits in a stage. Entering a stage starts
# the clocks it has that the previous stage did not; leaving stops the ones
# the next stage does not have. The first-contact clock also stops at the
# first logged attempt (see `outreach.services.log_activity`).
_INSIDE = frozenset({ClockKind.FIRST_CONTACT, ClockKind.CONCLUDE})
STAGE_CLOCKS: Mapping[Stage, frozenset[ClockKind]] = {
    Stage.NEW: _INSIDE,
    Stage.WORKING: _INSIDE,
    Stage.REJECTED: _INSIDE,
    Stage.RECYCLED: _INSIDE,
    Stage.HANDED_OFF: frozenset({ClockKind.ACCEPT, ClockKind.FEEDBACK}),
    Stage.ACCEPTED: frozenset({ClockKind.MEETING_OUTCOME, ClockKind.FEEDBACK}),
    Stage.MEETING_HELD: frozenset({ClockKind.FEEDBACK}),
    Stage.NO_SHOW: frozenset({ClockKind.FEEDBACK}),
    Stage.NURTURE: frozenset({ClockKind.UPDATE}),
    Stage.OPPORTUNITY: frozenset({ClockKind.UPDATE}),
}

# Actions that count as an update of an open lead even when the stage stays:
# the update clock starts again from now.
RESTARTS: Mapping[Action, frozenset[ClockKind]] = {
    Action.NURTURE: frozenset({ClockKind.UPDATE}),
    Action.OPEN_OPPORTUNITY: frozenset({ClockKind.UPDATE}),
}


@dataclass(frozen=True)
class ClockPlan:
    """What a move does to the lead's clocks."""

    stop: frozenset[ClockKind]
    start: frozenset[ClockKind]
    # A duplicate never needed handling: its clocks are cancelled, not met.
    cancel: bool = False


def clocks_for(stage: str) -> frozenset[ClockKind]:
    return STAGE_CLOCKS.get(Stage(stage), frozenset())


def clock_plan(from_stage: str, to_stage: str, action: str) -> ClockPlan:
    """The clocks to stop and start when `action` moves a lead from one stage to another."""
    before, after = clocks_for(from_stage), clocks_for(to_stage)
    restart = RESTARTS.get(Action(action), frozenset()) & after
    return ClockPlan(
        stop=(before - after) | (restart & before),
        start=(after - before) | restart,
        cancel=action == Action.MARK_DUPLICATE,
    )
