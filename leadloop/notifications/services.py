"""Writing notifications and delivering them by email, immediately or as a daily digest.

`write` is the one writer of notification rows (`notify` for one happening
to a few people, `write` with many notes for the sweeps). Each row's email
state is fixed when it is made, from the recipient's choice (immediate,
daily digest or off), so changing the choice never resends anything; the
sending is `delivery`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from leadloop.accounts.choices import NotifyMode
from leadloop.accounts.models import User
from leadloop.lib.zones import zone_names
from leadloop.notifications.choices import EmailState
from leadloop.notifications.models import Notification
from leadloop.notifications.tasks import deliver_emails

log = logging.getLogger("leadloop.notifications")

EMAIL_STATE_FOR_MODE: dict[str, str] = {
    NotifyMode.IMMEDIATE: EmailState.QUEUED,
    NotifyMode.DIGEST: EmailState.DIGEST,
    NotifyMode.OFF: EmailState.OFF,
}
# Digests go out at the first tick after this local time, once a day.
BATCH = 1000


@dataclass(frozen=True)
class Note:
    """One notification to write: to whom, what kind, about what."""

    user_id: int
    kind: str
    data: Mapping[str, Any]
    lead_id: int | None = None
    clock_id: int | None = None
    event_id: int | None = None


def write(notes: Iterable[Note], *, now: datetime) -> list[Notification]:
    """The one writer of notifications: each note as its recipient chose to hear it.

    The email state is fixed here from her choice (immediate, digest, off);
    notes to inactive users are dropped. Immediate emails are sent by the
    worker once the transaction commits, so a rolled-back change never mails.
    """
    notes = list(notes)
    if not notes:
        return []
    recipients = {n.user_id for n in notes}
    modes = dict(
        User.objects.filter(pk__in=recipients, is_active=True).values_list("pk", "notify_mode")
    )
    rows = [
        Notification(
            user_id=n.user_id,
            kind=n.kind,
            lead_id=n.lead_id,
            clock_id=n.clock_id,
            event_id=n.event_id,
            data=dict(n.data),
            created_at=now,
            email_state=EMAIL_STATE_FOR_MODE.get(modes[n.user_id], EmailState.OFF),
        )
        for n in notes
        if n.user_id in modes
    ]
    created = Notification.objects.bulk_create(rows, batch_size=BATCH)
    if any(n.email_state == EmailState.QUEUED for n in created):
        transaction.on_commit(deliver_emails)
    return created


def notify(
    *,
    users: Iterable[User | int | None],
    kind: str,
    now: datetime,
    lead_id: int | None = None,
    clock_id: int | None = None,
    event_id: int | None = None,
    data: Mapping[str, Any] | None = None,
) -> list[Notification]:
    """One notification per distinct user (None and duplicates are skipped)."""
    ids = sorted({u.pk if isinstance(u, User) else u for u in users if u is not None})
    return write((Note(uid, kind, data or {}, lead_id, clock_id, event_id) for uid in ids), now=now)


def set_preferences(*, user: User, notify_mode: str, timezone: str) -> User:
    """Save how she hears of things and the zone she reads times in.

    Choosing "off" also cancels a digest not yet sent: whoever turns email off
    expects no more mail, not one last digest the next morning. Rows already
    queued for immediate sending go out; they were due before the change.
    """
    name = timezone.strip()
    if notify_mode not in NotifyMode.values:
        raise ValidationError({"notify_mode": f"Choose one of: {', '.join(NotifyMode.values)}."})
    if name:
        canonical = zone_names().get(name.lower())
        if canonical is None:
            raise ValidationError(
                {"timezone": f"'{name}' is not a time zone name; use one such as Europe/Berlin."}
            )
        name = canonical
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(notify_mode=notify_mode, timezone=name)
        if notify_mode == NotifyMode.OFF:
            Notification.objects.filter(user=user, email_state=EmailState.DIGEST).update(
                email_state=EmailState.OFF
            )
    user.notify_mode = notify_mode
    user.timezone = name
    return user


def mark_read(*, user: User, notification_id: int, now: datetime) -> Notification:
    """Mark one of the user's notifications read (idempotent); DoesNotExist for others'."""
    n = Notification.objects.get(pk=notification_id, user=user)
    if n.read_at is None:
        Notification.objects.filter(pk=n.pk, read_at__isnull=True).update(read_at=now)
        n.read_at = now
    return n


def mark_all_read(*, user: User, now: datetime) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=now)
