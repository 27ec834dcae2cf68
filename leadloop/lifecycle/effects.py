"""What each action does to a lead, as small pure functions: (lead, data, now) -> changes.

This is the one definition of a move. The actions (`transitions`,
`activities`) apply it to a locked row and save; the demo seeder applies the
same functions to its in-memory leads and writes the rows in bulk. Nothing
here reads the database: `data` is already checked and resolved to ids and
typed values (see `inputs`), and the result names lead columns (`owner_id`,
not `owner`) so it can be set on a model or on any object with those
attributes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from leadloop.leads import states
from leadloop.leads.choices import Action, Stage
from leadloop.lib.times import iso_utc
from leadloop.outreach.choices import CONNECT_OUTCOMES, ActivityKind
from leadloop.outreach.rules import attempts_exhausted
from leadloop.sla import rules as sla_rules
from leadloop.sla.choices import ClockKind

# Any logged touch is news on an open opportunity or nurture lead: its update clock restarts.
UPDATED_BY_ACTIVITY = frozenset({Stage.NURTURE, Stage.OPPORTUNITY})
ATTEMPT_KINDS = frozenset({ActivityKind.CALL, ActivityKind.EMAIL})
COUNTED_EMAILS = frozenset({"sent", "bounced"})


class LeadState(Protocol):
    """The columns the effects read; a `leads.Lead` or the demo's in-memory lead."""

    stage: str
    version: int
    owner_id: int | None
    sales_rep_id: int | None
    handed_off_by_id: int | None
    first_contact_at: datetime | None
    last_activity_at: datetime | None
    dials: int
    emails: int
    connects: int
    round_dials: int
    round_emails: int
    round_connects: int


Changes = dict[str, Any]


@dataclass(frozen=True)
class Move:
    """One stage change: the columns it sets, what its event records, its clocks."""

    action: str
    from_stage: str
    to_stage: str
    changes: Changes
    facts: dict[str, Any]
    clocks: sla_rules.ClockPlan


@dataclass(frozen=True)
class Touch:
    """What logging an activity does: the columns it sets and the clocks it moves."""

    changes: Changes
    stop: frozenset[str] = field(default_factory=frozenset)
    restart: frozenset[str] = field(default_factory=frozenset)


Effect = Callable[[LeadState, Mapping[str, Any], datetime], tuple[Changes, dict[str, Any]]]


def _nothing(lead: LeadState, data: Mapping[str, Any], now: datetime) -> tuple[Changes, dict]:
    return {}, {}


def _hand_off(lead: LeadState, data: Mapping[str, Any], now: datetime) -> tuple[Changes, dict]:
    meeting: datetime = data["meeting_at"]
    return (
        {
            "sales_rep_id": data["sales_rep"],
            "meeting_at": meeting,
            "handed_off_by_id": data["inside_rep"],
            "handed_off_at": now,
            "qualification": dict(data["answers"]),
        },
        {
            "sales_rep": data["sales_rep"],
            "meeting_at": iso_utc(meeting),
            "answers": data["answers"],
        },
    )


def _reject(lead: LeadState, data: Mapping[str, Any], now: datetime) -> tuple[Changes, dict]:
    return {"sales_rep_id": None}, {"sales_rep": lead.sales_rep_id}


def _recycle(lead: LeadState, data: Mapping[str, Any], now: datetime) -> tuple[Changes, dict]:
    """Back to inside work: to the rep who set the missed meeting, with a fresh round of attempts.

    The lifetime counters stay (the history of the lead); the round counters,
    which the attempt policy reads, start again.
    """
    changes: Changes = {
        "sales_rep_id": None,
        "round_dials": 0,
        "round_emails": 0,
        "round_connects": 0,
    }
    if lead.stage == Stage.NO_SHOW and lead.handed_off_by_id is not None:
        changes["owner_id"] = lead.handed_off_by_id
    return changes, {"sales_rep": lead.sales_rep_id}


def _nurture(lead: LeadState, data: Mapping[str, Any], now: datetime) -> tuple[Changes, dict]:
    touch: date = data["next_touch_on"]
    return {"next_touch_on": touch}, {"next_touch_on": touch.isoformat()}


def _open_opportunity(
    lead: LeadState, data: Mapping[str, Any], now: datetime
) -> tuple[Changes, dict]:
    amount: Decimal = data["amount"]
    changes: Changes = {"amount": amount}
    facts: dict[str, Any] = {"amount": str(amount)}
    close: date | None = data.get("expected_close_on")
    if close is not None:
        changes["expected_close_on"] = close
        facts["expected_close_on"] = close.isoformat()
    return changes, facts


def _win(lead: LeadState, data: Mapping[str, Any], now: datetime) -> tuple[Changes, dict]:
    revenue: Decimal = data["revenue"]
    return {"revenue": revenue}, {"revenue": str(revenue)}


def _mark_duplicate(
    lead: LeadState, data: Mapping[str, Any], now: datetime
) -> tuple[Changes, dict]:
    return {"duplicate_of_id": data["duplicate_of"]}, {"duplicate_of": data["duplicate_of"]}


EFFECTS: Mapping[Action, Effect] = {
    Action.HAND_OFF: _hand_off,
    Action.REJECT: _reject,
    Action.RECYCLE: _recycle,
    Action.NURTURE: _nurture,
    Action.OPEN_OPPORTUNITY: _open_opportunity,
    Action.WIN: _win,
    Action.MARK_DUPLICATE: _mark_duplicate,
}


def move(lead: LeadState, action: str, data: Mapping[str, Any], now: datetime) -> Move:
    """Everything `action` does to `lead` at `now`, or TransitionNotAllowed.

    Every move bumps the version, releases any claim (whoever held the lead
    was working the stage it just left) and sets or clears `closed_at`.
    """
    from_stage = lead.stage
    to_stage = states.next_stage(from_stage, action)
    changes, facts = EFFECTS.get(Action(action), _nothing)(lead, data, now)
    changes |= {
        "stage": to_stage,
        "stage_changed_at": now,
        "updated_at": now,
        "version": lead.version + 1,
        "claimed_by_id": None,
        "claimed_until": None,
    }
    if data.get("reason_code") is not None:
        changes["reason_code_id"] = data["reason_code"]
    if not states.is_open(to_stage):
        changes["closed_at"] = now
    elif not states.is_open(from_stage):
        changes["closed_at"] = None
    clocks = sla_rules.clock_plan(from_stage, to_stage, action)
    if ClockKind.FIRST_CONTACT in clocks.start:
        # A new round of inside work owes a new first contact.
        changes["first_contact_at"] = None
    if data.get("note"):
        facts["note"] = str(data["note"])
    return Move(str(action), from_stage, to_stage, changes, facts, clocks)


def touch(lead: LeadState, kind: str, outcome: str, occurred_at: datetime, now: datetime) -> Touch:
    """What an activity does: counts attempts (lifetime and this round), stops the
    first-contact clock, keeps an open opportunity or nurture lead fresh.

    The clocks go by `now`, when the attempt was recorded, not by the
    `occurred_at` the rep typed: a call logged at five for nine o'clock does
    not meet a noon deadline.
    """
    changes: Changes = {"updated_at": now}
    last = lead.last_activity_at
    changes["last_activity_at"] = occurred_at if last is None or occurred_at > last else last
    if kind == ActivityKind.CALL:
        changes["dials"] = lead.dials + 1
        changes["round_dials"] = lead.round_dials + 1
    if kind == ActivityKind.EMAIL and outcome in COUNTED_EMAILS:
        changes["emails"] = lead.emails + 1
        changes["round_emails"] = lead.round_emails + 1
    if outcome in CONNECT_OUTCOMES:
        changes["connects"] = lead.connects + 1
        changes["round_connects"] = lead.round_connects + 1
    stop: frozenset[str] = frozenset()
    if kind in ATTEMPT_KINDS and lead.first_contact_at is None:
        changes["first_contact_at"] = now
        stop = frozenset({ClockKind.FIRST_CONTACT})
    restart = frozenset({ClockKind.UPDATE}) if lead.stage in UPDATED_BY_ACTIVITY else frozenset()
    return Touch(changes, stop, restart)


def after_attempt(lead: LeadState, kind: str, *, max_dials: int, max_emails: int) -> list[Action]:
    """The moves a logged activity makes by itself on a lead already touched:
    a first attempt starts work on a new lead; an attempt that uses up the
    source's attempt policy this round with no connect makes it unreachable."""
    if kind not in ATTEMPT_KINDS or lead.stage not in states.INSIDE_OPEN:
        return []
    moves = [Action.START_WORK] if lead.stage == Stage.NEW else []
    if attempts_exhausted(
        dials=lead.round_dials,
        emails=lead.round_emails,
        connects=lead.round_connects,
        max_dials=max_dials,
        max_emails=max_emails,
    ):
        moves.append(Action.MARK_UNREACHABLE)
    return moves


def exhausted_note(lead: LeadState, *, max_dials: int, max_emails: int) -> str:
    """Why a lead became unreachable by itself, in the words of its event."""
    return (
        f"attempt policy exhausted: {lead.round_dials} dials and {lead.round_emails} emails "
        f"without a connect (policy {max_dials} and {max_emails})"
    )


def apply(target: Any, changes: Changes) -> None:
    """Set the changed columns on a lead (a model instance or the demo's)."""
    for name, value in changes.items():
        setattr(target, name, value)
