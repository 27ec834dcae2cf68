"""A lead and its events as other programs see them: the API's answers and the
webhooks' bodies are built here, so both always say the same."""

from __future__ import annotations

from typing import Any

from leadloop.leads.models import Lead, LeadEvent


def lead_json(lead: Lead) -> dict[str, Any]:
    return {
        "id": lead.pk,
        "stage": lead.stage,
        "owner": lead.owner_id,
        "sales_rep": lead.sales_rep_id,
        "handed_off_by": lead.handed_off_by_id,
        "campaign": lead.campaign_id,
        "team": lead.team_id,
        "priority": lead.priority,
        "score": lead.score,
        "score_probability": lead.score_probability,
        "tier": lead.tier,
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "title": lead.title,
        "email": lead.email,
        "phone": lead.phone,
        "phone_e164": lead.phone_key,
        "company": lead.company,
        "industry": lead.industry,
        "employees": lead.employees,
        "revenue_band": lead.revenue_band,
        "country": lead.country,
        "region": lead.region,
        "attributes": lead.attributes,
        "first_contact_due": lead.first_contact_due,
        "first_contact_at": lead.first_contact_at,
        "conclude_due": lead.conclude_due,
        "meeting_at": lead.meeting_at,
        "next_touch_on": lead.next_touch_on.isoformat() if lead.next_touch_on else None,
        "amount": lead.amount,
        "revenue": lead.revenue,
        "reason_code": lead.reason_code.code if lead.reason_code_id and lead.reason_code else None,
        "duplicate_of": lead.duplicate_of_id,
        "previous_lead": lead.previous_lead_id,
        "dials": lead.dials,
        "emails": lead.emails,
        "connects": lead.connects,
        "round_dials": lead.round_dials,
        "round_emails": lead.round_emails,
        "round_connects": lead.round_connects,
        "created_at": lead.created_at,
        "updated_at": lead.updated_at,
        "version": lead.version,
    }


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
