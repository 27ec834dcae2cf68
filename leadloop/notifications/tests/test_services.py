"""Preferences and the inbox selector, without HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from leadloop.accounts.choices import NotifyMode
from leadloop.accounts.models import User
from leadloop.leads.models import Lead
from leadloop.notifications.choices import EmailState, NotificationKind
from leadloop.notifications.models import Notification
from leadloop.notifications.selectors import inbox_page, unread_count
from leadloop.notifications.services import set_preferences
from leadloop.testing import NOW, World


@pytest.mark.parametrize(
    ("mode", "zone", "field"),
    [
        (NotifyMode.DIGEST, "Europe/Atlantis", "timezone"),
        (NotifyMode.DIGEST, "Europe/Berlin ; DROP", "timezone"),
        ("weekly", "Europe/Berlin", "notify_mode"),
    ],
)
def test_bad_preferences_name_the_field_and_save_nothing(
    world: World, mode: str, zone: str, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        set_preferences(user=world.a.inside, notify_mode=mode, timezone=zone)
    assert set(caught.value.message_dict) == {field}
    user = User.objects.get(pk=world.a.inside.pk)
    assert (user.notify_mode, user.timezone) == (NotifyMode.IMMEDIATE, "")


def test_preferences_store_the_proper_zone_name(world: World) -> None:
    user = set_preferences(
        user=world.a.inside, notify_mode=NotifyMode.DIGEST, timezone="  asia/kolkata "
    )
    assert user.timezone == "Asia/Kolkata"
    stored = User.objects.get(pk=world.a.inside.pk)
    assert (stored.notify_mode, stored.timezone) == (NotifyMode.DIGEST, "Asia/Kolkata")


def test_switching_to_immediate_keeps_the_waiting_digest(
    world: World, leads: dict[str, Lead]
) -> None:
    """The choice is fixed per row: nothing already waiting is lost or sent twice."""
    n = Notification.objects.create(
        user=world.a.inside,
        kind=NotificationKind.LEAD_EVENT,
        lead=leads["alpha"],
        created_at=NOW,
        email_state=EmailState.DIGEST,
    )
    set_preferences(user=world.a.inside, notify_mode=NotifyMode.IMMEDIATE, timezone="")
    assert Notification.objects.get(pk=n.pk).email_state == EmailState.DIGEST


def _rows(world: World, *, unread: int, read: int) -> list[int]:
    """Ids in inbox order: unread newest first, then read newest first."""
    made = Notification.objects.bulk_create(
        Notification(
            user=world.a.inside,
            kind=NotificationKind.LEAD_EVENT,
            created_at=NOW - timedelta(minutes=i),
            read_at=None if i < unread else NOW,
        )
        for i in range(unread + read)
    )
    return [n.pk for n in made]


@pytest.mark.parametrize(("unread", "read"), [(0, 0), (3, 0), (0, 3), (4, 4), (3, 5), (6, 1)])
def test_inbox_pages_meet_exactly_at_every_boundary(
    world: World, leads: dict[str, Lead], unread: int, read: int
) -> None:
    expected = _rows(world, unread=unread, read=read)
    Notification.objects.create(  # someone else's, never listed
        user=world.b.inside, kind=NotificationKind.LEAD_EVENT, created_at=NOW
    )
    seen: list[int] = []
    cursor: str | None = None
    for _ in range(10):
        rows, cursor = inbox_page(world.a.inside, unread_only=False, cursor=cursor, limit=3)
        assert len(rows) <= 3
        seen += [n.pk for n in rows]
        if cursor is None:
            break
    assert seen == expected
    only_unread, _ = inbox_page(world.a.inside, unread_only=True, cursor=None, limit=50)
    assert [n.pk for n in only_unread] == expected[:unread]
    assert unread_count(world.a.inside) == unread


def test_same_instant_rows_are_neither_lost_nor_repeated(
    world: World, leads: dict[str, Lead]
) -> None:
    """The sweep writes many rows with one `now`; the id breaks the tie."""
    Notification.objects.bulk_create(
        Notification(user=world.a.inside, kind=NotificationKind.SLA_BREACHED, created_at=NOW)
        for _ in range(7)
    )
    seen: list[int] = []
    cursor: str | None = None
    while True:
        rows, cursor = inbox_page(world.a.inside, unread_only=True, cursor=cursor, limit=2)
        seen += [n.pk for n in rows]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7
    assert seen == sorted(seen, reverse=True)


def test_foreign_cursor_is_a_value_error(world: World) -> None:
    # junk, "u|", "r|2026-11-17|1" and "u|2026-11-17T09:00:00|5" (naive times)
    for cursor in ("x", "dXw", "cnwyMDI2LTExLTE3fDE", "dXwyMDI2LTExLTE3VDA5OjAwOjAwfDU"):
        with pytest.raises(ValueError, match="cursor"):
            inbox_page(world.a.inside, unread_only=False, cursor=cursor, limit=5)
