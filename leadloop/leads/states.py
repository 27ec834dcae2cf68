"""The lead lifecycle as a table: every stage, every action, where it leads.

Pure data and functions, no ORM: `leads.services.lead_transition` is the only
writer of a lead's stage and asks this module whether a move is allowed and
which data it needs. The picture is in DESIGN.md ("The lead lifecycle").
"""

from __future__ import annotations

from collections.abc import Mapping

from leadloop.leads.choices import Action, Stage
from leadloop.lib.errors import Conflict

S, A = Stage, Action

# Stages an inside rep works from (her queue).
INSIDE_OPEN = frozenset({S.NEW, S.WORKING, S.REJECTED, S.RECYCLED})
# Stages owned by sales, still open.
SALES_OPEN = frozenset(
    {S.HANDED_OFF, S.ACCEPTED, S.MEETING_HELD, S.NO_SHOW, S.NURTURE, S.OPPORTUNITY}
)
OPEN_STAGES = INSIDE_OPEN | SALES_OPEN
CLOSED_STAGES = frozenset(Stage) - OPEN_STAGES

_INSIDE_MOVES: dict[Action, Stage] = {
    A.DISQUALIFY: S.DISQUALIFIED,
    A.MARK_UNREACHABLE: S.UNREACHABLE,
    A.HAND_OFF: S.HANDED_OFF,
    A.MARK_DUPLICATE: S.DUPLICATE,
}

TRANSITIONS: Mapping[Stage, Mapping[Action, Stage]] = {
    S.NEW: {A.START_WORK: S.WORKING, **_INSIDE_MOVES},
    S.WORKING: dict(_INSIDE_MOVES),
    S.REJECTED: {A.START_WORK: S.WORKING, **_INSIDE_MOVES},
    S.RECYCLED: {A.START_WORK: S.WORKING, **_INSIDE_MOVES},
    S.HANDED_OFF: {A.ACCEPT: S.ACCEPTED, A.REJECT: S.REJECTED},
    S.ACCEPTED: {
        A.MEETING_HELD: S.MEETING_HELD,
        A.NO_SHOW: S.NO_SHOW,
        A.DISQUALIFY: S.DISQUALIFIED_BY_SALES,
    },
    # A no-show runs the follow-up cadence; a rebooked meeting that is held
    # moves on, an exhausted cadence recycles the lead to its inside rep.
    S.NO_SHOW: {
        A.MEETING_HELD: S.MEETING_HELD,
        A.RECYCLE: S.RECYCLED,
        A.DISQUALIFY: S.DISQUALIFIED_BY_SALES,
        A.LOSE: S.LOST,
    },
    S.MEETING_HELD: {
        A.OPEN_OPPORTUNITY: S.OPPORTUNITY,
        A.NURTURE: S.NURTURE,
        A.DISQUALIFY: S.DISQUALIFIED_BY_SALES,
        A.LOSE: S.LOST,
        A.WIN: S.WON,
    },
    S.NURTURE: {
        A.NURTURE: S.NURTURE,
        A.OPEN_OPPORTUNITY: S.OPPORTUNITY,
        A.DISQUALIFY: S.DISQUALIFIED_BY_SALES,
        A.LOSE: S.LOST,
        A.WIN: S.WON,
    },
    S.OPPORTUNITY: {
        A.WIN: S.WON,
        A.LOSE: S.LOST,
        A.NURTURE: S.NURTURE,
    },
    # Marketing nurtures unreachable leads and may send one back to work.
    S.UNREACHABLE: {A.RECYCLE: S.RECYCLED},
    S.DISQUALIFIED: {},
    S.DISQUALIFIED_BY_SALES: {},
    S.WON: {},
    S.LOST: {},
    S.DUPLICATE: {},
}

# The data each action cannot do without (the API's field names).
REQUIRED_DATA: Mapping[Action, tuple[str, ...]] = {
    A.DISQUALIFY: ("reason_code",),
    A.REJECT: ("reason_code",),
    A.LOSE: ("reason_code",),
    A.HAND_OFF: ("sales_rep", "meeting_at", "answers"),
    A.OPEN_OPPORTUNITY: ("amount",),
    A.WIN: ("revenue",),
    A.NURTURE: ("next_touch_on",),
    A.MARK_DUPLICATE: ("duplicate_of",),
}

# Which reason-code list an action draws from. Marking a lead unreachable
# needs one only when a manager does it before the attempt policy is used up.
REASON_KIND: Mapping[Action, str] = {
    A.DISQUALIFY: "disqualify",
    A.REJECT: "reject",
    A.LOSE: "lose",
    A.MARK_UNREACHABLE: "unreachable",
}

# Who may take an action: the inside side, the sales side, or both.
INSIDE_ACTIONS = frozenset(
    {A.START_WORK, A.DISQUALIFY, A.MARK_UNREACHABLE, A.HAND_OFF, A.MARK_DUPLICATE}
)
SALES_ACTIONS = frozenset(
    {
        A.ACCEPT,
        A.REJECT,
        A.MEETING_HELD,
        A.NO_SHOW,
        A.NURTURE,
        A.OPEN_OPPORTUNITY,
        A.WIN,
        A.LOSE,
        A.DISQUALIFY,
        A.RECYCLE,
    }
)


class TransitionNotAllowed(Conflict):
    """The table has no such move; the message names the stage and the action."""

    def __init__(self, stage: str, action: str) -> None:
        self.stage = stage
        self.action = action
        allowed = ", ".join(sorted(TRANSITIONS.get(Stage(stage), {}))) or "none (closed)"
        super().__init__(
            f"Action '{action}' is not allowed on a lead in stage '{stage}'. "
            f"Allowed actions: {allowed}."
        )


def next_stage(stage: str, action: str) -> Stage:
    """The stage `action` moves a lead in `stage` to, or TransitionNotAllowed."""
    try:
        return TRANSITIONS[Stage(stage)][Action(action)]
    except (KeyError, ValueError):
        raise TransitionNotAllowed(stage, action) from None


def allowed_actions(stage: str) -> list[Action]:
    return sorted(TRANSITIONS.get(Stage(stage), {}))


def is_open(stage: str) -> bool:
    return stage in OPEN_STAGES
