"""Cadence rules as plain functions: when each step is due, when the lead goes back, what a
valid template is, what an invitation may propose.

Nothing here reads the database. Days count on the sales team's business
calendar (`lib.businesscal`) from the missed meeting, which is day 0: step
"day 1" is the next business day, due at its close. An unanswered lead goes
back to the inside rep at the opening of the recycle day, so every step
lies before it (seed 004: day 1, 3, 5, back by day 7).
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError

from leadloop.followup.choices import StepAction
from leadloop.lib.businesscal import Calendar, add_business_days, is_open, next_open

MAX_RECYCLE_DAY = 30
MAX_INVITE_WINDOW = 20
MAX_STEPS = 20
MAX_TEXT = 5000
PLACEHOLDERS = ("first_name", "last_name", "company", "rep_name", "meeting", "proposed")


@dataclass(frozen=True)
class StepSpec:
    """A template step as typed: business day, action, text."""

    day: int
    action: str
    text: str = ""


@dataclass(frozen=True)
class PlannedStep:
    position: int
    day: int
    action: str
    text: str
    starts_at: datetime
    due_at: datetime


@dataclass(frozen=True)
class CadencePlan:
    steps: list[PlannedStep]
    recycle_at: datetime


def day_start(cal: Calendar, moment: datetime) -> datetime:
    """Local midnight of the day holding `moment`, on the calendar's wall clock."""
    zone = ZoneInfo(cal.tz)
    local = moment.astimezone(zone)
    return datetime.combine(local.date(), time.min, tzinfo=zone)


def step_due(cal: Calendar, anchor: datetime, day: int) -> datetime:
    """The close of business day `day` after the anchor's day."""
    return add_business_days(cal, anchor, day)


def recycle_at(cal: Calendar, anchor: datetime, recycle_day: int) -> datetime:
    """The opening of business day `recycle_day`: the first moment after the last step's day."""
    return next_open(cal, add_business_days(cal, anchor, recycle_day - 1))


# Same day: the call first, then the email that refers to it.
_ORDER: dict[str, int] = {
    a: i for i, a in enumerate((StepAction.VOICEMAIL, StepAction.EMAIL, StepAction.INVITATION))
}


def step_order(action: str) -> int:
    return _ORDER.get(action, len(_ORDER))


def plan(
    cal: Calendar, anchor: datetime, steps: Sequence[StepSpec], recycle_day: int
) -> CadencePlan:
    """Each step's window (its business day) and when the lead goes back."""
    planned = []
    for position, step in enumerate(sorted(steps, key=lambda s: (s.day, step_order(s.action)))):
        due = step_due(cal, anchor, step.day)
        planned.append(
            PlannedStep(
                position=position,
                day=step.day,
                action=step.action,
                text=step.text,
                starts_at=day_start(cal, due),
                due_at=due,
            )
        )
    return CadencePlan(steps=planned, recycle_at=recycle_at(cal, anchor, recycle_day))


def validate_template(
    *, name: str, steps: Sequence[StepSpec], recycle_day: int, invite_window_days: int
) -> None:
    """Refuse a template whose steps overlap, fall on or past the recycle day, or are unknown."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not name.strip():
        add("name", "a cadence needs a name")
    if not 1 <= recycle_day <= MAX_RECYCLE_DAY:
        add("recycle_day", f"must be between 1 and {MAX_RECYCLE_DAY} business days")
    if not steps:
        add("steps", "a cadence needs at least one step")
    if len(steps) > MAX_STEPS:
        add("steps", f"at most {MAX_STEPS} steps")
    seen: dict[tuple[int, str], int] = {}
    for number, step in enumerate(steps, start=1):
        if step.action not in StepAction.values:
            add("steps", f"step {number}: unknown action '{step.action}'")
            continue
        label = StepAction(step.action).label.lower()
        if step.day < 1:
            add("steps", f"step {number}: day must be 1 or later (day 0 is the missed meeting)")
        elif step.day >= recycle_day:
            add(
                "steps",
                f"step {number} ({label} on day {step.day}) is not before the recycle day "
                f"({recycle_day}): the lead is back with the inside rep by then",
            )
        key = (step.day, step.action)
        if key in seen:
            add(
                "steps", f"steps {seen[key]} and {number} overlap: both a {label} on day {step.day}"
            )
        else:
            seen[key] = number
        if step.action != StepAction.VOICEMAIL and not step.text.strip():
            add("steps", f"step {number}: an email needs a text")
        if len(step.text) > MAX_TEXT:
            add("steps", f"step {number}: text longer than {MAX_TEXT} characters")
        bad = unknown_placeholders(step.text)
        if bad:
            add("steps", f"step {number}: unknown placeholder(s) {', '.join(bad)}")
    if any(s.action == StepAction.INVITATION for s in steps) and not (
        1 <= invite_window_days <= MAX_INVITE_WINDOW
    ):
        add("invite_window_days", f"must be between 1 and {MAX_INVITE_WINDOW} business days")
    if errors:
        raise ValidationError(errors)


def unknown_placeholders(text: str) -> list[str]:
    try:
        names = {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    except ValueError:
        return ["(unbalanced { or })"]
    return sorted(n for n in names if n not in PLACEHOLDERS)


class _Keep(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(text: str, values: Mapping[str, Any]) -> str:
    """The text with its placeholders filled; an unknown or broken one is left as typed."""
    try:
        return string.Formatter().vformat(text, (), _Keep(values))
    except (ValueError, IndexError, AttributeError, KeyError):
        return text


def local_text(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %d %b %Y, %H:%M") if moment else "—"


def placeholders(
    *,
    first_name: str,
    last_name: str,
    company: str,
    rep_name: str,
    meeting: datetime | None,
    proposed: datetime | None,
    zone: ZoneInfo,
) -> dict[str, str]:
    """What each placeholder of a step's text stands for, on the sales team's clock."""
    return {
        "first_name": first_name or "there",
        "last_name": last_name,
        "company": company or "your company",
        "rep_name": rep_name,
        "meeting": local_text(meeting, zone),
        "proposed": local_text(proposed, zone) if proposed else "a time that suits you",
    }


def default_subject(action: str) -> str:
    return "A new time for our call" if action == StepAction.INVITATION else "Following up"


def split_subject(text: str, default: str) -> tuple[str, str]:
    """A first line "Subject: ..." is the subject; the rest is the body."""
    first, _, rest = text.partition("\n")
    if first.lower().startswith("subject:"):
        return first[len("subject:") :].strip() or default, rest.lstrip("\n")
    return default, text


# ---------------------------------------------------------------- invitations


def proposal_latest(cal: Calendar, now: datetime, window_days: int) -> datetime:
    """The latest time an invitation sent now may propose: the close of business day N."""
    return add_business_days(cal, now, window_days)


def check_proposal(cal: Calendar, proposed: datetime, now: datetime, window_days: int) -> None:
    """A proposed meeting must be ahead, in opening hours, within the next N business days."""
    if proposed.tzinfo is None:
        raise ValidationError({"proposed_at": "needs a time zone offset"})
    if proposed <= now:
        raise ValidationError({"proposed_at": "must be in the future"})
    latest = proposal_latest(cal, now, window_days)
    if proposed >= latest:
        local = latest.astimezone(ZoneInfo(cal.tz))
        raise ValidationError(
            {
                "proposed_at": f"must be within the next {window_days} business days "
                f"(before {local:%a %d %b %H:%M})"
            }
        )
    if not is_open(cal, proposed):
        raise ValidationError({"proposed_at": "must be within the sales team's opening hours"})


def suggest_proposal(
    cal: Calendar, now: datetime, original: datetime | None, window_days: int
) -> datetime:
    """Two business days ahead (or the window's last) at the missed meeting's time of day,
    else at that day's opening."""
    zone = ZoneInfo(cal.tz)
    day = add_business_days(cal, now, max(1, min(2, window_days))).astimezone(zone).date()
    if original is not None:
        wall = original.astimezone(zone).time().replace(second=0, microsecond=0)
        candidate = datetime.combine(day, wall, tzinfo=zone)
        if is_open(cal, candidate):
            return candidate
    return next_open(cal, datetime.combine(day, time.min, tzinfo=zone))
