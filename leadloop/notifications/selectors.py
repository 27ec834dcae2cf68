"""Reads on notifications: always the reader's own, unread first, then newest.

The inbox is keyset-paginated in two segments, unread then read, each
newest first. Each segment is a range scan on one of the model's indexes
(the partial `notification_unread` and `notification_user_at`), so a page
costs at most two queries however long the history is; ordering the whole
history by an "is unread" expression would sort every row she ever got.
"""

from __future__ import annotations

import base64
from datetime import datetime

from django.db.models import Q, QuerySet

from leadloop.accounts.models import User
from leadloop.notifications.models import Notification

UNREAD = "u"
READ = "r"
# What `texts.render` reads; joined so a page costs the same for 5 rows or 500.
RENDER_RELATED = ("lead", "clock", "clock__user", "event")


def user_notifications(user: User) -> QuerySet[Notification]:
    """The user's notifications, with everything their text needs."""
    return Notification.objects.filter(user=user).select_related(*RENDER_RELATED)


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def encode_cursor(segment: str, row: Notification | None) -> str:
    raw = segment if row is None else f"{segment}|{row.created_at.isoformat()}|{row.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, tuple[datetime, int] | None]:
    """(segment, position after which the page starts); ValueError for a foreign cursor."""
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        parts = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
        segment = parts[0]
        if segment not in (UNREAD, READ) or len(parts) not in (1, 3):
            raise ValueError(cursor)
        if len(parts) == 1:
            return segment, None
        at = datetime.fromisoformat(parts[1])
        if at.tzinfo is None:
            raise ValueError(cursor)
        return segment, (at, int(parts[2]))
    except (ValueError, UnicodeDecodeError):
        raise ValueError("cursor is not one this API gave out") from None


def _segment(
    user: User, segment: str, after: tuple[datetime, int] | None, limit: int
) -> list[Notification]:
    qs = user_notifications(user).filter(read_at__isnull=segment == UNREAD)
    if after is not None:
        at, pk = after
        qs = qs.filter(Q(created_at__lt=at) | Q(created_at=at, pk__lt=pk))
    return list(qs.order_by("-created_at", "-pk")[:limit])


def inbox_page(
    user: User, *, unread_only: bool, cursor: str | None, limit: int
) -> tuple[list[Notification], str | None]:
    """One page of the inbox and the cursor of the next (None on the last page)."""
    segment, after = decode_cursor(cursor) if cursor else (UNREAD, None)
    items: list[Notification] = []
    if segment == UNREAD:
        rows = _segment(user, UNREAD, after, limit + 1)
        if len(rows) > limit:
            return rows[:limit], encode_cursor(UNREAD, rows[limit - 1])
        if unread_only:
            return rows, None
        items, after = rows, None
    elif unread_only:
        return [], None  # a cursor into the read ones, from the "all" view
    room = limit - len(items)
    rows = _segment(user, READ, after, room + 1)
    if len(rows) > room:
        last = rows[room - 1] if room else None
        return items + rows[:room], encode_cursor(READ, last)
    return items + rows, None
