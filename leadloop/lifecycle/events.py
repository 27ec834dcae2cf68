"""One builder per kind of lead event: the only place an event's shape is decided.

A builder returns an `EventSpec`: what happened, in JSON-ready data (times
in UTC `Z`, money as strings). The actions turn specs into `LeadEvent` rows
with `record`; the demo seeder turns the same specs into rows for its bulk
load, and the SLA sweep writes the breach shape below in SQL. `record`
also writes the webhook outbox rows for its events, in the same transaction. The history
is append-only: nothing here ever updates or deletes an event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadloop.accounts.models import User
from leadloop.leads.choices import EventKind
from leadloop.leads.models import Lead, LeadEvent
from leadloop.lib.rows import insert_rows
from leadloop.lifecycle import webhooks
from leadloop.lifecycle.effects import Move


@dataclass(frozen=True)
class EventSpec:
    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    action: str = ""
    from_stage: str = ""
    to_stage: str = ""
    reason_code_id: int | None = None


def created(*, campaign_id: int, channel: str, previous_lead: int | None = None) -> EventSpec:
    data: dict[str, Any] = {"campaign": campaign_id, "channel": channel}
    if previous_lead is not None:
        data["previous_lead"] = previous_lead
    return EventSpec(EventKind.CREATED, data, to_stage="new")


def submitted_again(*, campaign_id: int, submitted: Mapping[str, Any]) -> EventSpec:
    """The same person came in again while her lead is open: what she sent this time."""
    return EventSpec(EventKind.SUBMITTED_AGAIN, {"campaign": campaign_id, "submitted": submitted})


def returned(*, new_lead: int, campaign_id: int) -> EventSpec:
    """On a closed lead: the person asked again, and a new inquiry was opened for her."""
    return EventSpec(EventKind.RETURNED, {"new_lead": new_lead, "campaign": campaign_id})


NO_REP = "no active inside rep on the team"


def assigned(
    *, owner: int | None, why: str | None = None, previous_owner: int | None = None
) -> EventSpec:
    data: dict[str, Any] = {
        "owner": owner,
        "why": why or (NO_REP if owner is None else "territory or round robin"),
    }
    if previous_owner is not None:
        data["previous_owner"] = previous_owner
    return EventSpec(EventKind.ASSIGNED, data)


def transition(move: Move) -> EventSpec:
    return EventSpec(
        EventKind.TRANSITION,
        dict(move.facts),
        action=move.action,
        from_stage=move.from_stage,
        to_stage=move.to_stage,
        reason_code_id=move.changes.get("reason_code_id"),
    )


def qualification(*, answers: Mapping[str, str], definition_version: int) -> EventSpec:
    return EventSpec(
        EventKind.QUALIFICATION, {"answers": dict(answers), "definition": definition_version}
    )


def edited(*, changes: Mapping[str, tuple[Any, Any]]) -> EventSpec:
    """Which person or company fields changed, from what to what."""
    return EventSpec(
        EventKind.EDITED,
        {"fields": {name: {"from": old, "to": new} for name, (old, new) in changes.items()}},
    )


def sla_breached(*, clock: str, clock_id: int, stopped_by: str) -> EventSpec:
    """A clock found late when it was stopped (the sweep writes its breaches in SQL,
    with the same keys and `to`, the manager it escalated to)."""
    return EventSpec(
        EventKind.SLA_BREACHED, {"clock": clock, "clock_id": clock_id, "stopped_by": stopped_by}
    )


def score_changed(
    *, score: int, from_score: int, tier: str, from_tier: str, model: int
) -> EventSpec:
    """The lead's tier moved (a model applied, an activity): from what to what, by which model."""
    return EventSpec(
        EventKind.SCORE_CHANGED,
        {
            "score": score,
            "from_score": from_score,
            "tier": tier,
            "from_tier": from_tier,
            "model": model,
        },
    )


def record(
    lead: Lead | int, specs: Iterable[EventSpec], *, at: datetime, actor: User | None
) -> list[LeadEvent]:
    """Append the events to the lead's history, in one INSERT."""
    return record_each(((lead, spec) for spec in specs), at=at, actor=actor)


def record_each(
    pairs: Iterable[tuple[Lead | int, EventSpec]], *, at: datetime, actor: User | None
) -> list[LeadEvent]:
    """Append events to several leads' histories, in one INSERT, and the webhook
    messages for them in the same transaction (`lifecycle.webhooks.queue`)."""
    pairs = list(pairs)
    # One fixed INSERT (`lib.rows.insert_rows`): every action appends events,
    # and `bulk_create` compiled the statement again each time.
    written = insert_rows(
        [
            LeadEvent(
                lead_id=lead if isinstance(lead, int) else lead.pk,
                kind=spec.kind,
                action=spec.action,
                at=at,
                actor=actor,
                from_stage=spec.from_stage,
                to_stage=spec.to_stage,
                reason_code_id=spec.reason_code_id,
                data=spec.data,
            )
            for lead, spec in pairs
        ]
    )
    leads = {lead.pk: lead for lead, _ in pairs if isinstance(lead, Lead)}
    webhooks.queue(written, leads, now=at)
    return written
