"""What an action sets off once its transaction commits, never before.

A rolled-back change tells no other system anything: every side effect is
queued with `transaction.on_commit`. Emails go through the worker's queue
(huey: immediate in tests, a worker otherwise) once the notification rows
commit (`notifications.services.write`), so no mail server is ever waited
for while a lead's row is locked.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction

from leadloop.leads.models import LeadEvent

log = logging.getLogger("leadloop.lifecycle")


def publish(events: Iterable[LeadEvent]) -> None:
    """After commit: each event goes to the structured log (and to whoever subscribes)."""
    events = list(events)
    if events:
        transaction.on_commit(lambda: _log(events))


def _log(events: list[LeadEvent]) -> None:
    for event in events:
        log.info(
            "lead event",
            extra={
                "event": event.pk,
                "lead": event.lead_id,
                "kind": event.kind,
                "action": event.action,
                "from_stage": event.from_stage,
                "to_stage": event.to_stage,
                "actor": event.actor_id,
            },
        )
