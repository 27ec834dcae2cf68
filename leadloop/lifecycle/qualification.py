"""The inside rep's answers to the qualification definition, saved as a draft on the lead.

Hand-off checks that every required criterion is answered; a draft may be
partial. Each save is an event, so the history shows how a lead was
qualified, not only its last answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction

from leadloop.accounts.models import User
from leadloop.handoff.selectors import active_definition
from leadloop.leads import states
from leadloop.leads.choices import Action
from leadloop.leads.claims import check_claim
from leadloop.leads.models import Lead
from leadloop.leads.permissions import can_act
from leadloop.lib.errors import NotPermitted
from leadloop.lib.times import utc
from leadloop.lifecycle import events, inputs, outbox
from leadloop.lifecycle.locks import locked_lead


def save_qualification(
    *,
    lead: Lead | int,
    actor: User,
    answers: Mapping[str, Any],
    now: datetime,
    expected_version: int | None = None,
) -> Lead:
    now = utc(now, "now")
    definition = active_definition()
    cleaned = inputs.answers(answers, definition, complete=False)
    with transaction.atomic():
        locked = locked_lead(lead, expected_version=expected_version)
        if not states.is_open(locked.stage) or locked.stage not in states.INSIDE_OPEN:
            raise NotPermitted(
                f"Lead {locked.pk} is {locked.get_stage_display().lower()}; it is qualified "
                "while inside sales works it."
            )
        if not can_act(actor, locked, Action.HAND_OFF):
            raise NotPermitted(f"{actor} may not qualify lead {locked.pk}.")
        check_claim(locked, actor, now)
        locked.qualification = cleaned
        locked.updated_at = now
        locked.version += 1
        locked.save(update_fields=["qualification", "updated_at", "version"])
        written = events.record(
            locked,
            [events.qualification(answers=cleaned, definition_version=definition.version)],
            at=now,
            actor=actor,
        )
        outbox.publish(written)
    return locked
