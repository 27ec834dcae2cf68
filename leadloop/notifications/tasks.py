"""Huey tasks: thin, they call the service with the current time."""

from __future__ import annotations

from django.utils import timezone
from huey.contrib.djhuey import db_task

from leadloop.notifications.services import deliver_queued_emails


@db_task()
def deliver_emails() -> int:
    return deliver_queued_emails(now=timezone.now())
