"""Reading the commands' options: people, teams and campaigns by id or by name."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.db.models import Model

from leadloop.lib.times import parse_utc


def by_name(model: type[Model], value: str | None, field: str, option: str) -> Model | None:
    """The row a number (its id) or a name (case-insensitive) stands for; CommandError if none."""
    if not value:
        return None
    manager = model._default_manager
    if value.isdigit():
        found = list(manager.filter(pk=int(value))[:1])
    else:
        found = list(manager.filter(**{f"{field}__iexact": value})[:2])
    if len(found) != 1:
        what = model._meta.verbose_name
        raise CommandError(
            f"{option} '{value}' matches {len(found) or 'no'} {what}s; give its id or exact name"
        )
    return found[0]


def moment(value: str | None, option: str) -> datetime | None:
    """A date (YYYY-MM-DD, midnight UTC) or an ISO date-time with offset."""
    if not value:
        return None
    text = value.strip()
    if len(text) == 10:
        text += "T00:00:00Z"
    try:
        return parse_utc(text, option)
    except ValidationError as exc:
        raise CommandError(f"{option} {value!r}: {'; '.join(exc.messages)}") from None
