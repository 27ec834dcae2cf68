"""A lead and its events as other programs see them: the API's answers and the
webhooks' bodies are built here, so both always say the same."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from leadloop.leads.models import Lead, LeadEvent

# A lead's answer, key by key: its name for `.values()`, which is also the Lead
# attribute it is read from (the score's, `scored__*`, from the lead's score
# properties). The list reads these as plain rows (see `lead_rows_json`):
# building 25 model instances cost more than its SQL.
LEAD_WIRE: dict[str, str] = {
    "id": "id",
    "stage": "stage",
    "owner": "owner_id",
    "sales_rep": "sales_rep_id",
    "handed_off_by": "handed_off_by_id",
    "campaign": "campaign_id",
    "team": "team_id",
    "priority": "priority",
    "score": "scored__score",
    "score_probability": "scored__score_probability",
    "tier": "scored__tier",
    "first_name": "first_name",
    "last_name": "last_name",
    "title": "title",
    "email": "email",
    "phone": "phone",
    "phone_e164": "phone_key",
    "company": "company",
    "industry": "industry",
    "employees": "employees",
    "revenue_band": "revenue_band",
    "country": "country",
    "region": "region",
    "attributes": "attributes",
    "first_contact_due": "first_contact_due",
    "first_contact_at": "first_contact_at",
    "conclude_due": "conclude_due",
    "meeting_at": "meeting_at",
    "next_touch_on": "next_touch_on",
    "amount": "amount",
    "revenue": "revenue",
    "reason_code": "reason_code__code",
    "duplicate_of": "duplicate_of_id",
    "previous_lead": "previous_lead_id",
    "dials": "dials",
    "emails": "emails",
    "connects": "connects",
    "round_dials": "round_dials",
    "round_emails": "round_emails",
    "round_connects": "round_connects",
    "created_at": "created_at",
    "updated_at": "updated_at",
    "version": "version",
}
# What `.values()` reads for `lead_rows_json`.
LEAD_VALUES: tuple[str, ...] = tuple(LEAD_WIRE.values())
_ITEMS = tuple(LEAD_WIRE.items())
# A lead never scored has no score row (`leads.LeadScore`): what it reads as.
_UNSCORED = {"scored__score": 0, "scored__tier": ""}


def _finish(body: dict[str, Any]) -> dict[str, Any]:
    touch = body["next_touch_on"]
    if touch is not None:
        body["next_touch_on"] = touch.isoformat()
    return body


def lead_json(lead: Lead) -> dict[str, Any]:
    reason = lead.reason_code.code if lead.reason_code_id and lead.reason_code else None
    return _finish(
        {
            key: reason if key == "reason_code" else getattr(lead, attr.removeprefix("scored__"))
            for key, attr in _ITEMS
        }
    )


def lead_rows_json(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """`lead_json` of leads read as `.values(*LEAD_VALUES)` rows: the same answers."""
    return [
        _finish(
            {
                key: _UNSCORED[attr] if row[attr] is None and attr in _UNSCORED else row[attr]
                for key, attr in _ITEMS
            }
        )
        for row in rows
    ]


def event_json(event: LeadEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "kind": event.kind,
        "action": event.action,
        "at": event.at,
        "actor": event.actor_id,
        "from_stage": event.from_stage,
        "to_stage": event.to_stage,
        "reason_code": event.reason_code.code if event.reason_code else None,
        "data": event.data,
    }
