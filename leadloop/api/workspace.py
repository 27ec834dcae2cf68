"""/api/v1 for the inside rep's workspace: the queue, claims, qualification drafts,
handoff suggestions, reassignment and her handed-off leads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from leadloop.accounts.choices import Role
from leadloop.accounts.models import User
from leadloop.api.auth import caller
from leadloop.api.leads import LeadOut, lead_json
from leadloop.api.schemas import ERRORS, ConflictOut, Id
from leadloop.handoff.assignment import suggest_sales_reps
from leadloop.handoff.selectors import active_definition, fate, handed_off_by
from leadloop.leads.claims import claimed_error
from leadloop.leads.models import Lead
from leadloop.leads.queues import QueueFilters, may_see_queue, queue_leads, queue_rows
from leadloop.leads.selectors import visible_leads
from leadloop.lib.errors import NotPermitted
from leadloop.lifecycle.assignment import reassign_leads
from leadloop.lifecycle.claims import claim_lead, release_claim, take_next_lead
from leadloop.lifecycle.qualification import save_qualification

router = Router(tags=["workspace"])
CONFLICT = {409: ConflictOut}


class ClockOut(Schema):
    kind: str
    state: str = Field(description="running, at_risk or breached")
    due_at: datetime
    business_seconds_left: int = Field(description="Negative when overdue.")


class QueueItemOut(Schema):
    lead: LeadOut
    breached: bool
    clocks: list[ClockOut]
    claimed_by: int | None
    claimed_until: datetime | None


class QueueOut(Schema):
    rep: int
    total: int
    items: list[QueueItemOut]


class QueueQuery(Schema):
    rep: Id | None = Field(None, description="Whose queue (default: yours); managers only.")
    campaign: Id | None = None
    channel: str | None = None
    stage: str | None = None
    limit: int = Field(50, ge=1, le=200)


def _rep(viewer: User, rep_id: int | None) -> User:
    if rep_id is None or rep_id == viewer.pk:
        if viewer.role != Role.INSIDE_REP:
            raise NotPermitted("Only inside reps have a queue; pass ?rep=ID for a rep's queue.")
        return viewer
    rep = get_object_or_404(User, pk=rep_id)
    if not may_see_queue(viewer, rep):
        raise NotPermitted(f"{viewer} may not see the queue of {rep}.")
    return rep


def _filters(q: QueueQuery) -> QueueFilters:
    return QueueFilters(campaign=q.campaign, channel=q.channel, stage=q.stage)


@router.get(
    "/queue",
    response={200: QueueOut, **ERRORS},
    summary="An inside rep's open leads, most urgent first",
    description="Order: breached first, then the soonest due SLA clock, then source priority "
    "(1 first), then score. Each lead's open clocks come with the business time left.",
)
def get_queue(request: HttpRequest, q: Query[QueueQuery]) -> Any:
    viewer = caller(request)
    rep = _rep(viewer, q.rep)
    now = timezone.now()
    leads = queue_leads(viewer, rep, _filters(q), now)
    rows = queue_rows(leads, viewer, now, limit=q.limit)
    return {
        "rep": rep.pk,
        "total": leads.count(),
        "items": [
            {
                "lead": lead_json(row.lead),
                "breached": row.breached,
                "clocks": [
                    {
                        "kind": c.kind,
                        "state": c.state,
                        "due_at": c.due_at,
                        "business_seconds_left": int(c.left.total_seconds()),
                    }
                    for c in row.clocks
                ],
                "claimed_by": row.lead.claimed_by_id,
                "claimed_until": row.lead.claimed_until,
            }
            for row in rows
        ],
    }


class NextIn(Schema):
    rep: Id | None = None
    campaign: Id | None = None
    channel: str | None = None
    stage: str | None = None


@router.post(
    "/queue/next",
    response={200: LeadOut, 204: None, **ERRORS},
    summary="Claim the most urgent lead nobody else is working",
    description="Answers 204 when the queue has nothing left.",
)
def next_lead(request: HttpRequest, payload: NextIn) -> Any:
    viewer = caller(request)
    rep = _rep(viewer, payload.rep)
    now = timezone.now()
    filters = QueueFilters(campaign=payload.campaign, channel=payload.channel, stage=payload.stage)
    lead = take_next_lead(user=viewer, leads=queue_leads(viewer, rep, filters, now), now=now)
    if lead is None:
        return Status(204, None)
    return lead_json(lead)


class ClaimOut(Schema):
    lead: int
    claimed_by: int
    claimed_until: datetime


def _may_work(viewer: User, lead_id: int) -> Lead:
    return get_object_or_404(visible_leads(viewer), pk=lead_id)


@router.post(
    "/leads/{lead_id}/claim",
    response={200: ClaimOut, **CONFLICT, **ERRORS},
    summary="Claim a lead to work it for the next minutes",
    description="403 for someone who may not work the lead now (a rep of the other side, a "
    "closed lead); 409 while someone else holds it, saying who and until when.",
)
def claim(request: HttpRequest, lead_id: int) -> Any:
    viewer = caller(request)
    lead = _may_work(viewer, lead_id)
    now = timezone.now()
    result = claim_lead(lead=lead, user=viewer, now=now)
    if not result.won:
        raise claimed_error(lead, result.holder_id, result.until or now, reader=viewer)
    return {"lead": lead.pk, "claimed_by": viewer.pk, "claimed_until": result.until}


@router.delete(
    "/leads/{lead_id}/claim",
    response={204: None, **ERRORS},
    summary="Let go of your claim on a lead",
    description="204 whether or not you held one; 403 for someone who holds none and may not "
    "work the lead (as her claim would be).",
)
def release(request: HttpRequest, lead_id: int) -> Any:
    viewer = caller(request)
    release_claim(lead=_may_work(viewer, lead_id), user=viewer)
    return Status(204, None)


class QualificationIn(Schema):
    answers: dict[str, str] = Field(description="Answers keyed by criterion (GET /qualification).")
    expected_version: int | None = Field(
        None, description="The lead version you read; a newer one answers 409."
    )


class QualificationDraftOut(Schema):
    lead: int
    answers: dict[str, str]
    complete: bool
    version: int


@router.put(
    "/leads/{lead_id}/qualification",
    response={200: QualificationDraftOut, **CONFLICT, **ERRORS},
    summary="Save the qualification answers (a draft; hand-off needs every required one)",
)
def qualification(request: HttpRequest, lead_id: int, payload: QualificationIn) -> Any:
    viewer = caller(request)
    lead = _may_work(viewer, lead_id)
    lead = save_qualification(
        lead=lead.pk,
        actor=viewer,
        answers=payload.answers,
        now=timezone.now(),
        expected_version=payload.expected_version,
    )
    required = active_definition().required_keys()
    return {
        "lead": lead.pk,
        "answers": lead.qualification,
        "complete": all(lead.qualification.get(k) for k in required),
        "version": lead.version,
    }


class SuggestionOut(Schema):
    rep: int
    name: str
    team: int | None
    timezone: str
    why: str
    feedback_rate: float | None
    handoffs_90d: int


@router.get(
    "/leads/{lead_id}/handoff-suggestions",
    response={200: list[SuggestionOut], **ERRORS},
    summary="Sales reps the lead may go to, the suggested one first",
    description="Territory rules first, then round robin over active reps (weighted by "
    "feedback rate over 90 days when the sales team chose so).",
)
def handoff_suggestions(request: HttpRequest, lead_id: int) -> Any:
    viewer = caller(request)
    lead = _may_work(viewer, lead_id)
    return [
        {
            "rep": s.rep.pk,
            "name": str(s.rep),
            "team": s.rep.team_id,
            "timezone": s.rep.timezone,
            "why": s.why,
            "feedback_rate": s.feedback_rate,
            "handoffs_90d": s.received,
        }
        for s in suggest_sales_reps(lead, timezone.now())
    ]


class ReassignIn(Schema):
    leads: list[Id] = Field(min_length=1, max_length=1000)
    to_rep: Id


class ReassignOut(Schema):
    moved: list[int]


@router.post(
    "/reassignments",
    response={200: ReassignOut, **ERRORS},
    summary="A manager moves open leads to another inside rep of the team",
)
def reassign(request: HttpRequest, payload: ReassignIn) -> Any:
    viewer = caller(request)
    to_rep = get_object_or_404(User, pk=payload.to_rep)
    moved = reassign_leads(lead_ids=payload.leads, to_rep=to_rep, actor=viewer, now=timezone.now())
    return {"moved": moved}


class HandedOffOut(Schema):
    lead: LeadOut
    handed_off_at: datetime | None
    last_sales_action: str | None
    last_sales_action_at: datetime | None


@router.get(
    "/handed-off",
    response={200: list[HandedOffOut], **ERRORS},
    summary="Every lead you handed off, with its stage now and what sales did last",
)
def handed_off(
    request: HttpRequest,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0, le=1_000_000),
) -> Any:
    viewer = caller(request)
    rows = list(handed_off_by(viewer)[offset : offset + limit])
    out = []
    for lead in rows:
        known = fate(lead)
        out.append(
            {
                "lead": lead_json(lead),
                "handed_off_at": getattr(lead, "my_last_handoff", None),
                "last_sales_action": known.last_what if known.last_at else None,
                "last_sales_action_at": known.last_at,
            }
        )
    return out
