"""Correcting a lead's person and company fields, with an event saying what changed.

The fields are cleaned the same way as at intake (`leads.person`), so an
edit cannot make a lead that intake would refuse; the identity keys follow
the new values. Who may edit: whoever may work the lead now, and the
manager of its side (also on a closed lead, to fix what the reports read).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from leadloop.accounts.models import User
from leadloop.leads.claims import check_claim
from leadloop.leads.models import Lead
from leadloop.leads.permissions import manages_side, may_work
from leadloop.leads.person import PERSON_FIELDS, clean_lead_fields
from leadloop.leads.states import OPEN_STAGES
from leadloop.lib.errors import NotPermitted
from leadloop.lib.times import utc
from leadloop.lifecycle import events, outbox
from leadloop.lifecycle.locks import locked_lead

EDITABLE = (*PERSON_FIELDS, "attributes")
KEYS = ("email_key", "phone_key", "person_key")


def may_edit(user: User, lead: Lead) -> bool:
    return may_work(user, lead) or manages_side(user, lead)


def edit_lead(
    *,
    lead: Lead | int,
    actor: User,
    fields: Mapping[str, Any],
    now: datetime,
    expected_version: int | None = None,
) -> Lead:
    """Set the given fields (others stay as they are); returns the lead as saved."""
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise ValidationError(
            {unknown[0]: f"cannot be edited here; editable: {', '.join(EDITABLE)}"}
        )
    now = utc(now, "now")
    with transaction.atomic():
        locked = locked_lead(lead, expected_version=expected_version)
        if not may_edit(actor, locked):
            raise NotPermitted(f"{actor} may not edit lead {locked.pk}.")
        check_claim(locked, actor, now)
        current = {name: getattr(locked, name) for name in EDITABLE}
        cleaned = clean_lead_fields({**current, **fields}, contact=locked.stage in OPEN_STAGES)
        changes = {
            name: (current[name], cleaned[name])
            for name in EDITABLE
            if name in fields and cleaned[name] != current[name]
        }
        if not changes:
            return locked
        for name, (_, new) in changes.items():
            setattr(locked, name, new)
        for key in KEYS:
            setattr(locked, key, cleaned[key])
        locked.updated_at = now
        locked.version += 1
        locked.save(update_fields=[*changes, *KEYS, "updated_at", "version"])
        written = events.record(locked, [events.edited(changes=changes)], at=now, actor=actor)
        outbox.publish(written)
    return locked
