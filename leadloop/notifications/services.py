"""Writing notifications and delivering them by email, immediately or as a daily digest.

`notify` is what services call for one happening; bulk writers (the SLA
sweep) insert rows themselves and call `queue_email_delivery`. Each row's
email state is fixed when it is made, from the recipient's choice
(immediate, daily digest or off), so changing the choice never resends
anything.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.utils import timezone

from leadloop.accounts.choices import NotifyMode
from leadloop.accounts.models import User
from leadloop.lib.zones import zone_named, zone_names
from leadloop.notifications.choices import EmailState
from leadloop.notifications.models import Digest, Notification
from leadloop.notifications.texts import absolute, render

log = logging.getLogger("leadloop.notifications")

EMAIL_STATE_FOR_MODE: dict[str, str] = {
    NotifyMode.IMMEDIATE: EmailState.QUEUED,
    NotifyMode.DIGEST: EmailState.DIGEST,
    NotifyMode.OFF: EmailState.OFF,
}
# Digests go out at the first tick after this local time, once a day.
DIGEST_TIME = time(7, 30)
DELIVERY_BATCH = 200


def notify(
    *,
    users: Iterable[User | int | None],
    kind: str,
    now: datetime,
    lead: Any = None,
    clock: Any = None,
    event: Any = None,
    data: Mapping[str, Any] | None = None,
) -> list[Notification]:
    """One notification per distinct user (None and duplicates are skipped)."""
    ids = {u.pk if isinstance(u, User) else u for u in users if u is not None}
    if not ids:
        return []
    modes = dict(User.objects.filter(pk__in=ids, is_active=True).values_list("pk", "notify_mode"))
    rows = [
        Notification(
            user_id=uid,
            kind=kind,
            lead=lead,
            clock=clock,
            event=event,
            data=dict(data or {}),
            created_at=now,
            email_state=EMAIL_STATE_FOR_MODE.get(mode, EmailState.OFF),
        )
        for uid, mode in sorted(modes.items())
    ]
    created = Notification.objects.bulk_create(rows)
    if any(n.email_state == EmailState.QUEUED for n in created):
        queue_email_delivery()
    return created


def queue_email_delivery() -> None:
    """Send queued emails after the current transaction commits (never for a rollback)."""
    from leadloop.notifications.tasks import deliver_emails

    transaction.on_commit(deliver_emails)


class MailServerDown(Exception):
    """The mail server cannot be reached: nothing was sent, everything waits for the next tick."""


def _message(n: Notification) -> EmailMessage:
    # Times in the text are the recipient's, as in her inbox.
    with timezone.override(zone_named(n.user.timezone)):
        text = render(n)
    body = f"{text.body}\n\n{absolute(text.url)}\n\n— leadloop"
    return EmailMessage(
        subject=f"[leadloop] {text.title}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[n.user.email],
    )


def deliver_queued_emails(*, now: datetime) -> int:
    """Send every queued notification email; returns how many were sent.

    Rows are locked with SKIP LOCKED a batch at a time, so two workers
    never send the same email; a row whose user has no address is closed
    as "off" rather than retried forever. When the mail server is down the
    rows stay queued and the next tick (a minute later) tries again; a
    message the server refuses is marked failed.
    """
    sent = 0
    while True:
        with transaction.atomic():
            batch = list(
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(email_state=EmailState.QUEUED)
                .select_related("user", "lead", "clock", "clock__user", "event")
                .order_by("id")[:DELIVERY_BATCH]
            )
            if not batch:
                return sent
            with_address = [n for n in batch if n.user.email]
            no_address = [n.pk for n in batch if not n.user.email]
            if no_address:
                Notification.objects.filter(pk__in=no_address).update(email_state=EmailState.OFF)
            try:
                ok, failed = _send([(n, _message(n)) for n in with_address])
            except MailServerDown:
                return sent
            if ok:
                Notification.objects.filter(pk__in=ok).update(
                    email_state=EmailState.SENT, emailed_at=now
                )
            if failed:
                Notification.objects.filter(pk__in=failed).update(email_state=EmailState.FAILED)
            sent += len(ok)
            if len(batch) < DELIVERY_BATCH:
                return sent


def _send(pairs: list[tuple[Notification, EmailMessage]]) -> tuple[list[int], list[int]]:
    if not pairs:
        return [], []
    ok: list[int] = []
    failed: list[int] = []
    connection = get_connection()
    try:
        connection.open()
    except Exception as exc:
        log.warning(
            "notification email server unreachable",
            extra={
                "notifications": len(pairs),
                "error": str(exc),
                "next": "check EMAIL_HOST/EMAIL_PORT/EMAIL_USE_TLS and the server; "
                "the emails stay queued and the next tick retries them",
            },
        )
        raise MailServerDown(str(exc)) from exc
    try:
        for n, message in pairs:
            message.connection = connection
            try:
                message.send()
            except Exception as exc:  # one bad address must not stop the rest
                log.warning(
                    "notification email failed",
                    extra={
                        "notification": n.pk,
                        "user": n.user_id,
                        "error": str(exc),
                        "next": "check EMAIL_HOST/EMAIL_PORT and the user's address",
                    },
                )
                failed.append(n.pk)
            else:
                ok.append(n.pk)
    finally:
        connection.close()
    return ok, failed


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


def send_digests(*, now: datetime) -> int:
    """Mail each digest user one summary a day, at the first tick after 07:30 her time.

    A `Digest` row per user and local day is the claim: two workers racing
    for the same user, or a tick run twice, send one digest.
    """
    sent = 0
    user_ids = (
        Notification.objects.filter(email_state=EmailState.DIGEST)
        .order_by()
        .values_list("user_id", flat=True)
        .distinct()
    )
    for user in User.objects.filter(pk__in=list(user_ids)):
        local = now.astimezone(zone_named(user.timezone))
        if local.time() < DIGEST_TIME:
            continue
        try:
            with transaction.atomic():
                Digest.objects.create(user=user, day=local.date(), sent_at=now)
                pending = list(
                    Notification.objects.select_for_update(of=("self",))
                    .filter(user=user, email_state=EmailState.DIGEST, created_at__lte=now)
                    .select_related("user", "lead", "clock", "clock__user", "event")
                    .order_by("created_at", "id")
                )
                if not pending:
                    continue
                state = EmailState.DIGESTED
                if user.email:
                    # MailServerDown rolls back today's claim: the next tick tries again.
                    ok, _ = _send([(pending[0], _digest_message(user, pending, local))])
                    state = EmailState.DIGESTED if ok else EmailState.FAILED
                else:
                    state = EmailState.OFF
                Notification.objects.filter(pk__in=[n.pk for n in pending]).update(
                    email_state=state, emailed_at=now if state == EmailState.DIGESTED else None
                )
                Digest.objects.filter(user=user, day=local.date()).update(count=len(pending))
                sent += state == EmailState.DIGESTED
        except IntegrityError:
            continue  # today's digest is already out
        except MailServerDown:
            return sent
    return sent


def _digest_message(user: User, pending: list[Notification], local: datetime) -> EmailMessage:
    lines = [f"Good morning {user.first_name or user.username},", ""]
    things = f"{len(pending)} thing{'s' if len(pending) != 1 else ''}"
    lines.append(f"{things} happened since your last digest:")
    lines.append("")
    for n in pending:
        with timezone.override(local.tzinfo):
            text = render(n)
        lines.append(f"- {text.title}")
        lines.append(f"  {absolute(text.url)}")
    lines += ["", "— leadloop"]
    return EmailMessage(
        subject=f"[leadloop] Your daily digest, {local:%a %d %b}: {len(pending)} update"
        + ("s" if len(pending) != 1 else ""),
        body="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )


def mark_read(*, user: User, notification_id: int, now: datetime) -> Notification:
    """Mark one of the user's notifications read (idempotent); DoesNotExist for others'."""
    n = Notification.objects.get(pk=notification_id, user=user)
    if n.read_at is None:
        Notification.objects.filter(pk=n.pk, read_at__isnull=True).update(read_at=now)
        n.read_at = now
    return n


def mark_all_read(*, user: User, now: datetime) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=now)
