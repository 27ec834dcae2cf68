"""/api/v1/leads/{id}/activities: log and list calls, emails, meetings and notes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from leadloop.api.auth import caller
from leadloop.api.schemas import ERRORS, UtcDateTime
from leadloop.leads.selectors import visible_leads
from leadloop.lifecycle.activities import log_activity
from leadloop.outreach.choices import ActivityKind
from leadloop.outreach.models import Activity

router = Router(tags=["activities"])


class ActivityIn(Schema):
    kind: ActivityKind
    outcome: str = ""
    occurred_at: UtcDateTime | None = Field(
        None, description="When it happened (default: now); not before the lead came in."
    )
    note: str = ""


class ActivityOut(Schema):
    id: int
    lead: int
    actor: int | None
    kind: str
    outcome: str
    occurred_at: datetime
    logged_at: datetime = Field(description="When it was logged; SLA clocks go by this.")
    note: str
    lead_stage: str


def activity_json(activity: Activity, stage: str) -> dict[str, Any]:
    return {
        "id": activity.pk,
        "lead": activity.lead_id,
        "actor": activity.actor_id,
        "kind": activity.kind,
        "outcome": activity.outcome,
        "occurred_at": activity.occurred_at,
        "logged_at": activity.created_at,
        "note": activity.note,
        "lead_stage": stage,
    }


@router.post(
    "/{lead_id}/activities",
    response={201: ActivityOut, **ERRORS},
    summary="Log a call, email, meeting or note",
    description="Outcomes: call: connected, voicemail, no_answer, gatekeeper, "
    "wrong_number; email: sent, replied, bounced; meeting: scheduled, "
    "held, no_show; note: none. The first call or email meets the "
    "first-contact SLA; exhausting the attempt policy with no connect "
    "makes the lead unreachable (see `lead_stage`).",
)
def create_activity(request: HttpRequest, lead_id: int, payload: ActivityIn) -> Any:
    user = caller(request)
    lead = get_object_or_404(visible_leads(user).only("pk"), pk=lead_id)
    activity = log_activity(
        lead=lead.pk,
        actor=user,
        kind=payload.kind,
        outcome=payload.outcome,
        occurred_at=payload.occurred_at,
        note=payload.note,
        now=timezone.now(),
    )
    stage = type(lead).objects.values_list("stage", flat=True).get(pk=lead.pk)
    return Status(201, activity_json(activity, stage))


@router.get(
    "/{lead_id}/activities",
    response={200: list[ActivityOut], **ERRORS},
    summary="A lead's activities, newest first",
)
def list_activities(request: HttpRequest, lead_id: int) -> Any:
    lead = get_object_or_404(visible_leads(caller(request)).only("pk", "stage"), pk=lead_id)
    return [activity_json(a, lead.stage) for a in lead.activities.all()]
