"""The SLA rules: due times per kind, the at-risk point, and which moves open and close clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadloop.campaigns.choices import Channel
from leadloop.campaigns.defaults import SOURCE_POLICY_DEFAULTS
from leadloop.campaigns.models import SourcePolicy
from leadloop.leads import states
from leadloop.leads.choices import Action, Stage
from leadloop.lib.businesscal import business_time_between, standard_calendar
from leadloop.sla import rules
from leadloop.sla.choices import ClockKind

BERLIN = ZoneInfo("Europe/Berlin")
CAL = standard_calendar("Europe/Berlin", country="DE")


def policy(channel: str) -> SourcePolicy:
    return SourcePolicy(channel=channel, **SOURCE_POLICY_DEFAULTS[channel])


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def test_web_request_is_due_within_twelve_business_hours() -> None:
    # Tuesday 10:00 + 12 business hours (9-17): 7 h on Tuesday, 5 h on Wednesday.
    due = rules.due_at(ClockKind.FIRST_CONTACT, policy(Channel.WEB_RFI), CAL, at(2026, 11, 17, 10))
    assert due == at(2026, 11, 18, 14)


def test_webinar_and_trade_show_are_due_at_the_close_of_a_business_day() -> None:
    start = at(2026, 11, 17, 10)  # Tuesday
    assert rules.due_at(ClockKind.FIRST_CONTACT, policy(Channel.WEBINAR), CAL, start) == at(
        2026, 11, 24, 17
    )
    assert rules.due_at(ClockKind.FIRST_CONTACT, policy(Channel.TRADE_SHOW), CAL, start) == at(
        2026, 11, 20, 17
    )


def test_every_lead_concludes_within_seven_business_days() -> None:
    due = rules.due_at(ClockKind.CONCLUDE, policy(Channel.WEB_RFI), CAL, at(2026, 11, 17, 10))
    assert due == at(2026, 11, 26, 17)


def test_sales_side_due_times() -> None:
    p = policy(Channel.WEB_RFI)
    handoff = at(2026, 11, 20, 16)  # Friday afternoon
    assert rules.due_at(ClockKind.ACCEPT, p, CAL, handoff) == at(2026, 11, 23, 17)  # Monday close
    meeting = at(2026, 11, 24, 11)  # Tuesday
    assert rules.due_at(ClockKind.MEETING_OUTCOME, p, CAL, meeting) == at(2026, 11, 26, 17)
    assert rules.due_at(ClockKind.FEEDBACK, p, CAL, handoff) == at(2026, 12, 4, 17)
    # The update promise is in calendar days, weekends included.
    assert rules.due_at(ClockKind.UPDATE, p, CAL, handoff) == handoff + timedelta(days=30)


def test_christmas_holidays_push_a_due_time() -> None:
    # Wednesday 23 Dec 16:00 + 12 business hours: 1 h, then 24th (not a DE public
    # holiday), then 25th and 26th are holidays, 27th is a Sunday.
    due = rules.due_at(ClockKind.FIRST_CONTACT, policy(Channel.WEB_RFI), CAL, at(2026, 12, 23, 16))
    assert due == at(2026, 12, 28, 12)


def test_at_risk_is_eighty_percent_of_the_business_time() -> None:
    start = at(2026, 11, 17, 10)
    due = rules.due_at(ClockKind.FIRST_CONTACT, policy(Channel.WEB_RFI), CAL, start)
    warn = rules.warn_at(ClockKind.FIRST_CONTACT, CAL, start, due)
    assert business_time_between(CAL, start, warn) == timedelta(hours=12) * 0.8
    assert start < warn < due
    update_due = start + timedelta(days=30)
    assert rules.warn_at(ClockKind.UPDATE, CAL, start, update_due) == start + timedelta(days=24)
    assert rules.warn_at(ClockKind.ACCEPT, CAL, start, start) == start


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown clock kind"):
        rules.due_at("bogus", policy(Channel.WEB_RFI), CAL, datetime(2026, 1, 5, tzinfo=UTC))


@pytest.mark.parametrize(
    ("from_stage", "action", "stop", "start"),
    [
        (Stage.NEW, Action.START_WORK, set(), set()),
        (
            Stage.WORKING,
            Action.HAND_OFF,
            {ClockKind.FIRST_CONTACT, ClockKind.CONCLUDE},
            {ClockKind.ACCEPT, ClockKind.FEEDBACK},
        ),
        (Stage.HANDED_OFF, Action.ACCEPT, {ClockKind.ACCEPT}, {ClockKind.MEETING_OUTCOME}),
        (
            Stage.HANDED_OFF,
            Action.REJECT,
            {ClockKind.ACCEPT, ClockKind.FEEDBACK},
            {ClockKind.FIRST_CONTACT, ClockKind.CONCLUDE},
        ),
        (Stage.ACCEPTED, Action.NO_SHOW, {ClockKind.MEETING_OUTCOME}, set()),
        (Stage.MEETING_HELD, Action.NURTURE, {ClockKind.FEEDBACK}, {ClockKind.UPDATE}),
        (Stage.NURTURE, Action.NURTURE, {ClockKind.UPDATE}, {ClockKind.UPDATE}),
        (
            Stage.NO_SHOW,
            Action.RECYCLE,
            {ClockKind.FEEDBACK},
            {ClockKind.FIRST_CONTACT, ClockKind.CONCLUDE},
        ),
        (Stage.OPPORTUNITY, Action.WIN, {ClockKind.UPDATE}, set()),
    ],
)
def test_clock_plan(from_stage: str, action: str, stop: set[str], start: set[str]) -> None:
    to_stage = states.next_stage(from_stage, action)
    plan = rules.clock_plan(from_stage, to_stage, action)
    assert plan.stop == stop
    assert plan.start == start
    assert not plan.cancel


def test_duplicates_cancel_rather_than_meet() -> None:
    plan = rules.clock_plan(Stage.NEW, Stage.DUPLICATE, Action.MARK_DUPLICATE)
    assert plan.cancel
    assert plan.stop == {ClockKind.FIRST_CONTACT, ClockKind.CONCLUDE}


@st.composite
def walks(draw: st.DrawFn) -> list[tuple[str, str, str]]:
    """A random path through the lifecycle table from `new`."""
    stage: str = Stage.NEW
    path = []
    for _ in range(draw(st.integers(0, 25))):
        allowed = states.allowed_actions(stage)
        if not allowed:
            break
        action = draw(st.sampled_from(allowed))
        to = states.next_stage(stage, action)
        path.append((stage, action, str(to)))
        stage = to
    return path


@given(walks(), st.data())
def test_open_clocks_always_match_the_stage(
    path: list[tuple[str, str, str]], data: st.DataObject
) -> None:
    """Replaying any path, the open clocks are exactly the stage's, minus a met first contact."""
    open_: set[str] = set(rules.clocks_for(Stage.NEW))
    contacted = False
    for from_stage, action, to_stage in path:
        # Somewhere along the way the inside rep may log her first attempt.
        if from_stage in states.INSIDE_OPEN and not contacted and data.draw(st.booleans()):
            open_.discard(ClockKind.FIRST_CONTACT)
            contacted = True
        plan = rules.clock_plan(from_stage, to_stage, action)
        assert plan.start <= rules.clocks_for(to_stage)
        open_ -= plan.stop
        assert not (open_ & plan.start), "a clock kind would be open twice"
        open_ |= plan.start
        if ClockKind.FIRST_CONTACT in plan.start:
            contacted = False
        assert open_ <= rules.clocks_for(to_stage)
        expected = set(rules.clocks_for(to_stage))
        if contacted:
            expected.discard(ClockKind.FIRST_CONTACT)
        assert open_ == expected
        if not states.is_open(to_stage):
            assert not open_
