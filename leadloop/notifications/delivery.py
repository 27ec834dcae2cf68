"""Delivering notifications by email: immediately, or as one daily digest.

Runs in the worker (the tick and the task queued when a notification is
written), never while a lead is locked. Rows are taken with SKIP LOCKED, so
two workers never send the same email; a mail server that is down leaves
everything queued for the next tick.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, time
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from leadloop.accounts.models import User
from leadloop.lib.zones import zone_named
from leadloop.notifications.choices import EmailState
from leadloop.notifications.models import Digest, Notification
from leadloop.notifications.texts import absolute, render

log = logging.getLogger("leadloop.notifications")

# Digests go out at the first tick after this local time, once a day.
DIGEST_TIME = time(7, 30)
DELIVERY_BATCH = 200


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

    A row whose user has no address is closed as "off" rather than retried
    forever; a message the server refuses is marked failed.
    """

    def messages(batch: list[Notification]) -> list[tuple[int, EmailMessage]]:
        no_address = [n.pk for n in batch if not n.user.email]
        if no_address:
            Notification.objects.filter(pk__in=no_address).update(email_state=EmailState.OFF)
        return [(n.pk, _message(n)) for n in batch if n.user.email]

    def sent(ids: list[int]) -> None:
        Notification.objects.filter(pk__in=ids).update(email_state=EmailState.SENT, emailed_at=now)

    def refused(batch: list[Notification], errors: dict[int, str]) -> None:
        Notification.objects.filter(pk__in=list(errors)).update(email_state=EmailState.FAILED)

    queued = (
        Notification.objects.filter(email_state=EmailState.QUEUED)
        .select_related("user", "lead", "clock", "clock__user", "event")
        .order_by("id")
    )
    return send_in_batches(queued, messages, sent, refused, batch_size=DELIVERY_BATCH)


def send_in_batches(
    queued: QuerySet[Any],
    messages: Callable[[list[Any]], list[tuple[int, EmailMessage]]],
    sent: Callable[[list[int]], None],
    refused: Callable[[list[Any], dict[int, str]], None],
    *,
    batch_size: int,
) -> int:
    """Send queued rows' emails a batch at a time; returns how many went out.

    Each batch is taken with SKIP LOCKED in its own transaction, so two
    workers never send the same email. When the mail server is down the
    rows stay queued and the next tick (a minute later) tries again.
    """
    done = 0
    while True:
        with transaction.atomic():
            batch = list(queued.select_for_update(skip_locked=True, of=("self",))[:batch_size])
            if not batch:
                return done
            try:
                ok, failed = send_messages(messages(batch))
            except MailServerDown:
                return done
            if ok:
                sent(ok)
            if failed:
                refused(batch, failed)
            done += len(ok)
            if len(batch) < batch_size:
                return done


def send_messages(
    messages: list[tuple[int, EmailMessage]], *, what: str = "notification email"
) -> tuple[list[int], dict[int, str]]:
    """Send each (id, message) over one connection; the ids sent and the refused ones' errors.

    MailServerDown when the server cannot be reached at all: nothing was
    sent, the caller leaves everything queued for the next tick.
    """
    if not messages:
        return [], {}
    ok: list[int] = []
    failed: dict[int, str] = {}
    connection = get_connection()
    try:
        connection.open()
    except Exception as exc:
        log.warning(
            f"{what} server unreachable",
            extra={
                "messages": len(messages),
                "error": str(exc),
                "next": "check EMAIL_HOST/EMAIL_PORT/EMAIL_USE_TLS and the server; "
                "the emails stay queued and the next tick retries them",
            },
        )
        raise MailServerDown(str(exc)) from exc
    try:
        for ident, message in messages:
            message.connection = connection
            try:
                message.send()
            except Exception as exc:  # one bad address must not stop the rest
                log.warning(
                    f"{what} failed",
                    extra={
                        "id": ident,
                        "error": str(exc),
                        "next": "check EMAIL_HOST/EMAIL_PORT and the recipient's address",
                    },
                )
                failed[ident] = str(exc)[:300]
            else:
                ok.append(ident)
    finally:
        connection.close()
    return ok, failed


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
                    ok, _ = send_messages(
                        [(pending[0].pk, _digest_message(user, pending, local))],
                        what="digest email",
                    )
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
