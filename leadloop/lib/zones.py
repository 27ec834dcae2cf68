"""The time zone a person reads and types times in."""

from __future__ import annotations

import functools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings


def zone_named(*names: str | None) -> ZoneInfo:
    """The first name that is a real zone, else the site's default, else UTC.

    A stored name can go bad (a zone renamed in a tzdata update, a typo made
    through the admin); a page must still render, so bad names fall through.
    """
    for name in (*names, settings.LEADLOOP_DEFAULT_TIMEZONE):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


@functools.cache
def zone_names() -> dict[str, str]:
    """Every IANA zone name this machine knows, by lower-cased name (read once)."""
    return {name.lower(): name for name in available_timezones()}
