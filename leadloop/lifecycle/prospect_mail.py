"""Sending the emails cadence steps write to prospects, from the worker, after commit.

The step is recorded first (its activity, its text, `mail_state=queued`);
this sends what it recorded. Rows are taken a batch at a time with SKIP
LOCKED, so two workers never send one email twice. A mail server that is
down leaves them queued for the next tick; a message it refuses is marked
failed with the server's words, and the sales rep is told so she can send
it again or write to the prospect herself.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage

from leadloop.followup import ics
from leadloop.followup.choices import MailState, StepAction
from leadloop.followup.models import CadenceTask
from leadloop.lifecycle import news
from leadloop.notifications.delivery import send_in_batches

BATCH = 100


def message(task: CadenceTask) -> EmailMessage:
    """The email as the step recorded it, in the rep's name; replies go to her."""
    rep = task.done_by
    mail = EmailMessage(
        subject=task.mail_subject,
        body=task.mail_body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[task.emailed_to],
        reply_to=[rep.email] if rep is not None and rep.email else None,
    )
    if task.action == StepAction.INVITATION and task.proposed_at is not None:
        invitation = ics.invitation(
            task=task,
            lead=task.lead,
            organizer=rep,
            start=task.proposed_at,
            now=task.done_at or task.proposed_at,
        )
        mail.attach("invitation.ics", invitation, "text/calendar; method=REQUEST")
    return mail


def send_queued(*, now: datetime) -> int:
    """Send every queued step email; returns how many went out."""

    def sent(ids: list[int]) -> None:
        CadenceTask.objects.filter(pk__in=ids).update(mail_state=MailState.SENT, mailed_at=now)

    def refused(batch: list[CadenceTask], errors: dict[int, str]) -> None:
        for task in batch:
            if task.pk in errors:
                _refused(task, errors[task.pk], now)

    queued = (
        CadenceTask.objects.filter(mail_state=MailState.QUEUED)
        .select_related("lead", "done_by")
        .order_by("id")
    )
    return send_in_batches(
        queued, lambda batch: [(t.pk, message(t)) for t in batch], sent, refused, batch_size=BATCH
    )


def _refused(task: CadenceTask, error: str, now: datetime) -> None:
    CadenceTask.objects.filter(pk=task.pk).update(mail_state=MailState.FAILED, mail_error=error)
    news.tell(
        [task.done_by_id],
        lead=task.lead,
        now=now,
        summary=f"the follow-up email to {task.emailed_to} was not sent",
        note=f"The mail server said: {error}. Send it again from your task list, or write "
        "to the prospect yourself.",
        actor="leadloop",
    )
