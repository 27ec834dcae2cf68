"""The pure cadence rules: step days on the business calendar, template validation, invitations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from leadloop.followup import rules
from leadloop.followup.defaults import NO_SHOW_RECYCLE_DAY, NO_SHOW_STEPS
from leadloop.followup.rules import StepSpec
from leadloop.lib.businesscal import is_open, standard_calendar

BERLIN = ZoneInfo("Europe/Berlin")
CAL = standard_calendar("Europe/Berlin", country="DE")
# Berlin with a company closure over Christmas and the US calendar across its DST change.
CALENDARS = [
    CAL,
    standard_calendar(
        "Europe/Berlin",
        country="DE",
        closures=[datetime(2026, 12, d, tzinfo=UTC).date() for d in range(24, 32)],
    ),
    standard_calendar("America/New_York", country="US"),
]
SEED_004 = [StepSpec(day, action, text) for day, action, text in NO_SHOW_STEPS]

moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
step_lists = st.lists(
    st.tuples(st.integers(1, 12), st.sampled_from(["voicemail", "email", "invitation"])),
    min_size=1,
    max_size=8,
    unique=True,
)


def test_seed_004_on_the_calendar() -> None:
    # The missed meeting: Thursday 19 November 2026, 10:00 in Berlin.
    meeting = datetime(2026, 11, 19, 10, 0, tzinfo=BERLIN)
    plan = rules.plan(CAL, meeting, SEED_004, NO_SHOW_RECYCLE_DAY)
    due = [
        (s.day, s.action, s.due_at.astimezone(BERLIN).strftime("%a %d %H:%M")) for s in plan.steps
    ]
    assert due == [
        (1, "voicemail", "Fri 20 17:00"),
        (1, "email", "Fri 20 17:00"),
        (3, "voicemail", "Tue 24 17:00"),
        (3, "email", "Tue 24 17:00"),
        (5, "invitation", "Thu 26 17:00"),
    ]
    assert [s.starts_at.astimezone(BERLIN).strftime("%a %d %H:%M") for s in plan.steps][:1] == [
        "Fri 20 00:00"
    ]
    # Business day 7 is Monday 30 November; the lead goes back when it opens.
    assert plan.recycle_at == datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN)


def test_a_holiday_pushes_the_steps() -> None:
    # Missed on Wednesday 23 December 2026: Christmas Day and Boxing Day are closed.
    meeting = datetime(2026, 12, 23, 15, 0, tzinfo=BERLIN)
    plan = rules.plan(CAL, meeting, SEED_004, NO_SHOW_RECYCLE_DAY)
    days = [s.due_at.astimezone(BERLIN).date().isoformat() for s in plan.steps]
    assert days == ["2026-12-24", "2026-12-24", "2026-12-29", "2026-12-29", "2026-12-31"]


@settings(max_examples=150, deadline=None)
@given(anchor=moments, cal=st.sampled_from(CALENDARS), steps=step_lists, extra=st.integers(1, 5))
def test_every_step_falls_on_a_business_day_before_the_recycle(
    anchor: datetime, cal: object, steps: list[tuple[int, str]], extra: int
) -> None:
    assert hasattr(cal, "tz")
    calendar = cal  # a Calendar
    recycle_day = max(day for day, _ in steps) + extra
    specs = [StepSpec(day, action, "Hi") for day, action in steps]
    rules.validate_template(name="x", steps=specs, recycle_day=recycle_day, invite_window_days=5)
    plan = rules.plan(calendar, anchor, specs, recycle_day)  # type: ignore[arg-type]
    zone = ZoneInfo(calendar.tz)  # type: ignore[attr-defined]
    anchor_day = anchor.astimezone(zone).date()
    for step in plan.steps:
        local = step.due_at.astimezone(zone)
        assert calendar.is_business_day(local.date())  # type: ignore[attr-defined]
        assert local.date() > anchor_day
        assert step.starts_at <= step.due_at
        assert step.starts_at.astimezone(zone).date() == local.date()
        assert step.due_at < plan.recycle_at
    # Later days are due later; the same day shares its close.
    for a, b in zip(plan.steps, plan.steps[1:], strict=False):
        assert (a.day, rules.step_order(a.action)) <= (b.day, rules.step_order(b.action))
        assert a.due_at <= b.due_at
        assert (a.day == b.day) == (a.due_at == b.due_at)
    assert is_open(calendar, plan.recycle_at)  # type: ignore[arg-type]
    assert calendar.is_business_day(plan.recycle_at.astimezone(zone).date())  # type: ignore[attr-defined]


@settings(max_examples=100, deadline=None)
@given(anchor=moments, day=st.integers(1, 15))
def test_day_n_is_n_business_days_after_the_meeting(anchor: datetime, day: int) -> None:
    due = rules.step_due(CAL, anchor, day).astimezone(BERLIN).date()
    start = anchor.astimezone(BERLIN).date()
    business = 0
    current = start
    while current < due:
        current += timedelta(days=1)
        business += CAL.is_business_day(current)
    assert business == day


# ---------------------------------------------------------------- templates


def errors_of(**kwargs: object) -> dict[str, list[str]]:
    defaults: dict[str, object] = {
        "name": "No-show",
        "steps": SEED_004,
        "recycle_day": 7,
        "invite_window_days": 5,
    }
    with pytest.raises(ValidationError) as caught:
        rules.validate_template(**(defaults | kwargs))  # type: ignore[arg-type]
    return caught.value.message_dict


def test_the_seed_template_is_valid() -> None:
    rules.validate_template(name="No-show", steps=SEED_004, recycle_day=7, invite_window_days=5)


def test_overlapping_steps_are_refused() -> None:
    steps = [*SEED_004, StepSpec(3, "email", "again")]
    assert "steps 4 and 6 overlap: both a email on day 3" in errors_of(steps=steps)["steps"]


@pytest.mark.parametrize("day", [7, 9])
def test_a_step_on_or_past_the_recycle_day_is_refused(day: int) -> None:
    steps = [*SEED_004, StepSpec(day, "voicemail")]
    (message,) = errors_of(steps=steps)["steps"]
    assert f"day {day}) is not before the recycle day (7)" in message


def test_other_bad_templates() -> None:
    assert "at least one step" in errors_of(steps=[])["steps"][0]
    assert "day 0 is the missed meeting" in errors_of(steps=[StepSpec(0, "voicemail")])["steps"][0]
    assert "unknown action 'fax'" in errors_of(steps=[StepSpec(1, "fax", "x")])["steps"][0]
    assert "needs a text" in errors_of(steps=[StepSpec(1, "email", " ")])["steps"][0]
    assert (
        "unknown placeholder(s) nme"
        in errors_of(steps=[StepSpec(1, "email", "Hi {nme}")])["steps"][0]
    )
    assert errors_of(recycle_day=0)["recycle_day"]
    assert errors_of(invite_window_days=0)["invite_window_days"]
    assert errors_of(name=" ")["name"]


def test_texts_fill_and_split() -> None:
    text = "Subject: Hello {first_name}\n\nSee you {proposed}, {unknown}. {rep_name}"
    filled = rules.fill(text, {"first_name": "Ada", "proposed": "Mon", "rep_name": "Sam"})
    subject, body = rules.split_subject(filled, default="Following up")
    assert subject == "Hello Ada"
    assert body == "See you Mon, {unknown}. Sam"
    assert rules.split_subject("No subject", default="Following up") == (
        "Following up",
        "No subject",
    )
    assert rules.fill("broken {", {}) == "broken {"


# ---------------------------------------------------------------- invitations


def test_a_proposal_is_ahead_in_opening_hours_within_the_window() -> None:
    now = datetime(2026, 11, 26, 10, 0, tzinfo=BERLIN)  # Thursday, business day 5
    ok = datetime(2026, 12, 2, 14, 0, tzinfo=BERLIN)  # Wednesday: business day 4 after
    rules.check_proposal(CAL, ok, now, 5)
    for bad, message in [
        (now - timedelta(hours=1), "must be in the future"),
        (datetime(2026, 12, 4, 10, 0, tzinfo=BERLIN), "within the next 5 business days"),
        (datetime(2026, 11, 28, 10, 0, tzinfo=BERLIN), "opening hours"),  # a Saturday
        (datetime(2026, 11, 27, 19, 0, tzinfo=BERLIN), "opening hours"),
    ]:
        with pytest.raises(ValidationError) as caught:
            rules.check_proposal(CAL, bad, now, 5)
        assert message in caught.value.message_dict["proposed_at"][0]


@settings(max_examples=100, deadline=None)
@given(now=moments, meeting=moments, window=st.integers(1, 10))
def test_the_suggested_time_is_always_acceptable(
    now: datetime, meeting: datetime, window: int
) -> None:
    suggestion = rules.suggest_proposal(CAL, now, meeting, window)
    rules.check_proposal(CAL, suggestion, now, window)
