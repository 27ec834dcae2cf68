"""Huey tasks: thin, they call the service with the current time."""

from __future__ import annotations

from django.utils import timezone
from huey.contrib.djhuey import db_task

from leadloop.notifications.delivery import deliver_queued_emails


# Retried: a lock timeout or a dropped connection must not lose an email.
@db_task(retries=3, retry_delay=5)
def deliver_emails() -> int:
    return deliver_queued_emails(now=timezone.now())
