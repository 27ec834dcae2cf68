from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadloop.leads import states
from leadloop.leads.choices import Action, Stage


def test_every_stage_has_a_row_in_the_table() -> None:
    assert set(states.TRANSITIONS) == set(Stage)


def test_every_action_is_reachable_from_some_stage() -> None:
    used = {a for moves in states.TRANSITIONS.values() for a in moves}
    assert used == set(Action)


def test_every_stage_is_reachable_from_new() -> None:
    seen, frontier = {Stage.NEW}, [Stage.NEW]
    while frontier:
        stage = frontier.pop()
        for nxt in states.TRANSITIONS[stage].values():
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    assert seen == set(Stage)


def test_closed_stages_allow_no_action_but_unreachable_can_be_recycled() -> None:
    for stage in states.CLOSED_STAGES - {Stage.UNREACHABLE}:
        assert states.allowed_actions(stage) == []
    assert states.allowed_actions(Stage.UNREACHABLE) == [Action.RECYCLE]


def test_not_allowed_names_stage_and_action() -> None:
    with pytest.raises(states.TransitionNotAllowed) as exc:
        states.next_stage("won", "hand_off")
    assert "won" in str(exc.value)
    assert "hand_off" in str(exc.value)


@given(st.lists(st.sampled_from(list(Action)), max_size=30))
def test_any_action_sequence_stays_inside_the_table(actions: list[Action]) -> None:
    stage: str = Stage.NEW
    for action in actions:
        try:
            nxt = states.next_stage(stage, action)
        except states.TransitionNotAllowed:
            assert action not in states.TRANSITIONS[Stage(stage)]
            continue
        assert action in states.TRANSITIONS[Stage(stage)]
        # Once closed (other than unreachable), a lead never moves again.
        assert stage not in states.CLOSED_STAGES or stage == Stage.UNREACHABLE
        stage = nxt
    assert stage in set(Stage)


def test_required_data_names_the_api_fields() -> None:
    assert states.REQUIRED_DATA[Action.HAND_OFF] == ("sales_rep", "meeting_at", "answers")
    for action in (Action.DISQUALIFY, Action.REJECT, Action.LOSE):
        assert states.REQUIRED_DATA[action] == ("reason_code",)
    assert states.REQUIRED_DATA[Action.WIN] == ("revenue",)
    assert states.REQUIRED_DATA[Action.NURTURE] == ("next_touch_on",)
    assert states.REQUIRED_DATA[Action.OPEN_OPPORTUNITY] == ("amount",)
