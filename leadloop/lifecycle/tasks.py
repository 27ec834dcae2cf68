"""Huey tasks of the actions layer: thin, they call the action with the current time."""

from __future__ import annotations

from django.utils import timezone
from huey.contrib.djhuey import db_task

from leadloop.lifecycle.prospect_mail import send_queued


# Retried: a lock timeout or a dropped connection must not lose an email.
@db_task(retries=3, retry_delay=5)
def send_prospect_mail() -> int:
    return send_queued(now=timezone.now())
