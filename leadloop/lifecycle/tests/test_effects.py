"""The effect functions alone: what each move and each attempt does, without a database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadloop.leads import states
from leadloop.leads.choices import Action, Stage
from leadloop.lifecycle import effects, events
from leadloop.sla.choices import ClockKind

T0 = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)


@dataclass
class FakeLead:
    """The columns the effects read, as a plain object."""

    stage: str = Stage.NEW
    version: int = 1
    owner_id: int | None = 10
    sales_rep_id: int | None = None
    handed_off_by_id: int | None = None
    first_contact_at: datetime | None = None
    last_activity_at: datetime | None = None
    dials: int = 0
    emails: int = 0
    connects: int = 0
    round_dials: int = 0
    round_emails: int = 0
    round_connects: int = 0
    closed_at: datetime | None = None
    claimed_by_id: int | None = None
    claimed_until: datetime | None = None


# The data each action needs, already checked (as `inputs` hands it over).
DATA: dict[str, dict[str, Any]] = {
    Action.HAND_OFF: {
        "sales_rep": 20,
        "meeting_at": T0 + timedelta(days=2),
        "answers": {"budget": "yes"},
        "inside_rep": 10,
    },
    Action.DISQUALIFY: {"reason_code": 1},
    Action.REJECT: {"reason_code": 2},
    Action.LOSE: {"reason_code": 3},
    Action.NURTURE: {"next_touch_on": date(2027, 1, 4)},
    Action.OPEN_OPPORTUNITY: {"amount": Decimal("1000.00")},
    Action.WIN: {"revenue": Decimal("900.00")},
    Action.MARK_DUPLICATE: {"duplicate_of": 99},
}


def test_a_hand_off_sets_the_sales_side_and_records_times_in_utc() -> None:
    lead = FakeLead(stage=Stage.WORKING)
    meeting = datetime(2026, 11, 19, 10, 0, tzinfo=UTC)
    move = effects.move(lead, Action.HAND_OFF, {**DATA[Action.HAND_OFF], "meeting_at": meeting}, T0)
    assert move.to_stage == Stage.HANDED_OFF
    assert move.changes["sales_rep_id"] == 20 and move.changes["handed_off_by_id"] == 10
    assert move.changes["handed_off_at"] == T0 and move.changes["version"] == 2
    assert move.facts["meeting_at"] == "2026-11-19T10:00:00Z"
    assert move.clocks.start == {ClockKind.ACCEPT, ClockKind.FEEDBACK}


def test_a_recycle_goes_back_to_the_rep_who_set_the_meeting_with_a_new_round() -> None:
    lead = FakeLead(
        stage=Stage.NO_SHOW,
        owner_id=11,
        sales_rep_id=20,
        handed_off_by_id=10,
        dials=4,
        round_dials=4,
        emails=2,
        round_emails=2,
        connects=1,
        round_connects=1,
    )
    move = effects.move(lead, Action.RECYCLE, {}, T0)
    assert move.changes["owner_id"] == 10 and move.changes["sales_rep_id"] is None
    assert move.changes["round_dials"] == move.changes["round_emails"] == 0
    assert "dials" not in move.changes  # the history stays
    assert move.changes["first_contact_at"] is None  # a new first contact is owed
    assert move.facts == {"sales_rep": 20}


def test_every_move_releases_the_claim() -> None:
    lead = FakeLead(claimed_by_id=10, claimed_until=T0 + timedelta(minutes=10))
    move = effects.move(lead, Action.START_WORK, {}, T0)
    assert move.changes["claimed_by_id"] is None and move.changes["claimed_until"] is None


def test_a_move_the_table_has_not_is_refused() -> None:
    with pytest.raises(states.TransitionNotAllowed):
        effects.move(FakeLead(stage=Stage.WON), Action.START_WORK, {}, T0)


def test_an_attempt_counts_for_life_and_for_the_round_and_stops_the_clock_when_logged() -> None:
    lead = FakeLead()
    typed = T0 - timedelta(hours=3)
    touch = effects.touch(lead, "call", "connected", typed, T0)
    assert touch.changes["dials"] == 1 and touch.changes["round_dials"] == 1
    assert touch.changes["connects"] == 1 and touch.changes["round_connects"] == 1
    # The clock goes by when the attempt was logged, not by the time typed.
    assert touch.changes["first_contact_at"] == T0
    assert touch.changes["last_activity_at"] == typed
    assert touch.stop == {ClockKind.FIRST_CONTACT}
    effects.apply(lead, touch.changes)
    again = effects.touch(lead, "email", "sent", T0, T0 + timedelta(hours=1))
    assert "first_contact_at" not in again.changes and not again.stop
    assert again.changes["last_activity_at"] == T0


def test_a_touch_on_an_open_opportunity_restarts_its_update_clock() -> None:
    touch = effects.touch(FakeLead(stage=Stage.OPPORTUNITY), "note", "", T0, T0)
    assert touch.restart == {ClockKind.UPDATE}


def test_an_attempt_starts_work_and_the_last_allowed_one_makes_the_lead_unreachable() -> None:
    limits = {"max_dials": 2, "max_emails": 1}
    lead = FakeLead()
    assert effects.after_attempt(lead, "call", **limits) == [Action.START_WORK]
    lead = FakeLead(stage=Stage.WORKING, round_dials=2, round_emails=1)
    assert effects.after_attempt(lead, "email", **limits) == [Action.MARK_UNREACHABLE]
    lead.round_connects = 1
    assert effects.after_attempt(lead, "email", **limits) == []
    # Notes and meetings are not attempts; a lead with sales is not the inside rep's.
    assert effects.after_attempt(FakeLead(), "note", **limits) == []
    assert effects.after_attempt(FakeLead(stage=Stage.ACCEPTED), "call", **limits) == []


def test_the_transition_event_says_what_the_move_did() -> None:
    move = effects.move(FakeLead(), Action.DISQUALIFY, {"reason_code": 7, "note": "no"}, T0)
    spec = events.transition(move)
    assert (spec.kind, spec.action, spec.from_stage, spec.to_stage) == (
        "transition",
        Action.DISQUALIFY,
        Stage.NEW,
        Stage.DISQUALIFIED,
    )
    assert spec.reason_code_id == 7 and spec.data == {"note": "no"}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=100), min_size=1, max_size=40))
def test_any_walk_through_the_lifecycle_keeps_the_lead_consistent(picks: list[int]) -> None:
    """Whatever moves are made, in whatever order the table allows them: the version counts
    the moves, a closed lead has its closing time and an open one none, nobody holds a lead
    that just moved, and a lead with inside sales has no sales rep."""
    lead = FakeLead()
    now = T0
    for moves, pick in enumerate(picks, start=1):
        allowed = states.allowed_actions(lead.stage)
        if not allowed:
            break
        action = allowed[pick % len(allowed)]
        lead.claimed_by_id = 10
        now += timedelta(hours=1)
        move = effects.move(lead, action, DATA.get(action, {}), now)
        effects.apply(lead, move.changes)
        assert lead.stage == states.TRANSITIONS[Stage(move.from_stage)][action]
        assert lead.version == moves + 1
        assert lead.claimed_by_id is None
        assert (lead.closed_at is not None) == (not states.is_open(lead.stage))
        if lead.stage in states.INSIDE_OPEN:
            assert lead.sales_rep_id is None
        if lead.stage in states.SALES_OPEN:
            assert lead.sales_rep_id == 20 and lead.handed_off_by_id == 10
