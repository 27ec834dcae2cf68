"""The sales rep's answers to a hand-off and to the meeting: moves with her words.

Thin on purpose: each is a lifecycle move (`transitions.transition`), which
checks the data each needs and tells the inside rep who produced the lead.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError

from leadloop.accounts.models import User
from leadloop.leads.choices import Action
from leadloop.leads.models import Lead
from leadloop.lifecycle.transitions import lead_transition

# What a sales rep may record as the outcome of a meeting and after it.
OUTCOME_ACTIONS = (
    Action.MEETING_HELD,
    Action.NO_SHOW,
    Action.OPEN_OPPORTUNITY,
    Action.NURTURE,
    Action.DISQUALIFY,
    Action.LOSE,
    Action.WIN,
)


def accept_handoff(
    *, lead: Lead | int, actor: User, now: datetime, expected_version: int | None = None
) -> Lead:
    return lead_transition(
        lead=lead, action=Action.ACCEPT, actor=actor, now=now, expected_version=expected_version
    )


def reject_handoff(
    *,
    lead: Lead | int,
    actor: User,
    now: datetime,
    reason_code: str | int | None,
    note: str = "",
    expected_version: int | None = None,
) -> Lead:
    """Back to the inside rep's queue with the reason: the move tells her."""
    return lead_transition(
        lead=lead,
        action=Action.REJECT,
        actor=actor,
        now=now,
        data={"reason_code": reason_code, "note": note},
        expected_version=expected_version,
    )


def record_outcome(
    *,
    lead: Lead | int,
    outcome: str,
    actor: User,
    now: datetime,
    data: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
) -> Lead:
    """The meeting's outcome, or what came of it; the move checks the data each needs."""
    if outcome not in OUTCOME_ACTIONS:
        allowed = ", ".join(a.value for a in OUTCOME_ACTIONS)
        raise ValidationError({"outcome": f"unknown outcome '{outcome}'; one of {allowed}"})
    clean = {k: v for k, v in (data or {}).items() if v not in (None, "")}
    return lead_transition(
        lead=lead,
        action=outcome,
        actor=actor,
        now=now,
        data=clean,
        expected_version=expected_version,
    )
