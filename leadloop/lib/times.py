"""Time on the way in and out: everything stored or compared is UTC.

A time typed with any offset (a form in Berlin, an API client in New York,
`leadloop tick --now ...+01:00`) is converted here once, at the door, so raw
SQL and text comparisons on SQLite never see two offsets; times leave the
API as UTC with a `Z`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils import timezone


def utc(moment: datetime, field: str = "time") -> datetime:
    """The same instant in UTC; a naive time or one beyond what UTC can hold is refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError(
            {field: "needs a time zone offset, e.g. 2026-11-24T10:00:00+01:00 or ...Z"}
        )
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValidationError({field: "is out of range"}) from None


def parse_utc(text: str, field: str = "time") -> datetime:
    """An ISO 8601 date-time with an offset, as UTC; ValidationError naming `field` otherwise."""
    try:
        moment = datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise ValidationError(
            {field: f"'{text}' is not an ISO date-time, e.g. 2026-11-24T10:00:00+01:00"}
        ) from None
    return utc(moment, field)


def iso_utc(moment: datetime) -> str:
    """`2026-11-24T09:00:00Z`: how times are written into event data and API answers."""
    return utc(moment).isoformat().replace("+00:00", "Z")


def now_option(text: str | None, option: str = "--now") -> datetime:
    """A command's `--now` as UTC (the present when not given); a CommandError saying why."""
    if not text:
        return timezone.now()
    try:
        return parse_utc(text, option)
    except ValidationError as exc:
        raise CommandError(
            f"{option} {text!r}: {'; '.join(exc.messages)} (e.g. 2026-11-24T09:30:00+01:00)"
        ) from None


_SPAN_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def parse_span(text: str, field: str = "span") -> timedelta:
    """`12h`, `90d`, `2w`: a positive length of time; ValidationError naming `field` otherwise.

    Hours, days and weeks only: `m` would be read as minutes by some and
    months by others.
    """
    raw = str(text).strip().lower()
    unit = _SPAN_UNITS.get(raw[-1:])
    if unit is None or not raw[:-1].isdigit() or int(raw[:-1]) < 1:
        raise ValidationError(
            {field: f"'{text}' is not a length of time; write e.g. 12h, 90d or 2w"}
        )
    try:
        return int(raw[:-1]) * unit
    except OverflowError:
        raise ValidationError({field: f"'{text}' is too long"}) from None
