"""Reads on leads, always through what the reader may see."""

from __future__ import annotations

import base64
import contextlib
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from leadloop.accounts.models import User
from leadloop.leads.models import Lead, LeadEvent
from leadloop.leads.permissions import visibility_filter


def visible_leads(user: User) -> QuerySet[Lead]:
    q = visibility_filter(user)
    qs = Lead.objects.all()
    return qs if q is None else qs.filter(q)


@dataclass(frozen=True)
class LeadFilters:
    stage: str | None = None
    owner: int | None = None
    sales_rep: int | None = None
    campaign: int | None = None
    team: int | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    q: str | None = None
    # Drill-downs from the reports: each selects the leads behind one number,
    # with the definitions of `leadloop.reports.metrics`.
    channel: str | None = None
    sales_team: int | None = None
    handed_off_by: int | None = None
    # The instant time-relative filters (late, at risk, age) are judged at.
    as_of: datetime | None = None
    reach: str | None = None
    out_of_target: bool = False
    step: str | None = None
    no_response: bool = False
    past_max_age: bool = False
    age_min: int | None = None
    age_max: int | None = None
    sla: str | None = None
    sla_result: str | None = None
    sla_user: int | None = None
    sla_team: int | None = None
    sla_stop: str | None = None
    sla_from: datetime | None = None
    sla_to: datetime | None = None
    reason: int | None = None
    reason_stage: str | None = None
    reason_from: datetime | None = None
    reason_to: datetime | None = None
    handoff_by: int | None = None
    handoff_to_rep: int | None = None
    handoff_team: int | None = None
    handoff_from: datetime | None = None
    handoff_to: datetime | None = None
    attr: str | None = None
    answer: str | None = None
    cadence: str | None = None
    cadence_user: int | None = None


def encode_cursor(lead_id: int) -> str:
    return base64.urlsafe_b64encode(str(lead_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        return int(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise ValueError("cursor is not one this API gave out") from None


def filtered_leads(user: User, filters: LeadFilters) -> QuerySet[Lead]:
    qs = visible_leads(user)
    if filters.stage:
        qs = qs.filter(stage__in=filters.stage.split(","))
    if filters.owner:
        qs = qs.filter(owner_id=filters.owner)
    if filters.sales_rep:
        qs = qs.filter(sales_rep_id=filters.sales_rep)
    if filters.campaign:
        qs = qs.filter(campaign_id=filters.campaign)
    if filters.team:
        qs = qs.filter(team_id=filters.team)
    if filters.created_from:
        qs = qs.filter(created_at__gte=filters.created_from)
    if filters.created_to:
        qs = qs.filter(created_at__lt=filters.created_to)
    if filters.q:
        term = filters.q.strip()
        qs = (
            qs.filter(email_key__startswith=term.lower())
            if "@" in term
            else qs.filter(last_name__istartswith=term) | qs.filter(company__istartswith=term)
        )
    return _report_drilldowns(qs, filters)


def _report_drilldowns(qs: QuerySet[Lead], f: LeadFilters) -> QuerySet[Lead]:
    """The report drill-down filters; the metric definitions live in `reports.metrics`."""
    from leadloop.accounts.models import Team
    from leadloop.reports import metrics

    as_of = f.as_of or timezone.now()
    if f.channel:
        qs = qs.filter(campaign__channel=f.channel)
    if f.sales_team:
        qs = qs.filter(sales_rep__team_id=f.sales_team)
    if f.handed_off_by:
        qs = qs.filter(handed_off_by_id=f.handed_off_by)
    if f.reach in metrics.REACH_STATES:
        qs = qs.filter(metrics.REACH_STATES[f.reach]())
    if f.out_of_target:
        qs = qs.filter(metrics.out_of_target())
    if f.answer in metrics.SALES_ANSWERS:
        qs = qs.filter(metrics.SALES_ANSWERS[f.answer]())
    if f.step in metrics.STEP_KEYS:
        qs = qs.filter(metrics.in_step(f.step))
    if f.no_response:
        qs = qs.filter(metrics.no_response())
    if f.past_max_age:
        qs = qs.filter(metrics.past_max_open_age(as_of))
    if f.age_min is not None or f.age_max is not None:
        teams = list(Team.objects.all())
        qs = qs.filter(metrics.age_between(teams, as_of, f.age_min, f.age_max))
    if f.sla or f.sla_result or f.sla_user or f.sla_team or f.sla_stop:
        qs = qs.filter(
            metrics.with_clock(
                kind=f.sla,
                state=f.sla_result if f.sla_result in metrics.CLOCK_STATES else None,
                as_of=as_of,
                user=f.sla_user,
                team=f.sla_team,
                start=f.sla_from,
                end=f.sla_to,
                stopped_by=f.sla_stop,
            )
        )
    if f.reason or f.reason_stage or f.reason_from or f.reason_to:
        qs = qs.filter(
            metrics.with_reason(
                reason=f.reason, stage=f.reason_stage, start=f.reason_from, end=f.reason_to
            )
        )
    if f.handoff_by or f.handoff_to_rep or f.handoff_team or f.handoff_from or f.handoff_to:
        qs = qs.filter(
            metrics.with_handoff(
                from_rep=f.handoff_by,
                to_rep=f.handoff_to_rep,
                to_team=f.handoff_team,
                start=f.handoff_from,
                end=f.handoff_to,
            )
        )
    if f.cadence or f.cadence_user:
        qs = qs.filter(metrics.with_cadence_step(state=f.cadence, as_of=as_of, user=f.cadence_user))
    if f.attr and "=" in f.attr:
        key, value = f.attr.split("=", 1)
        # An unknown attribute is ignored (the form reports it).
        with contextlib.suppress(ValueError, KeyError):
            qs = qs.filter(metrics.attribute_is(key, value))
    return qs


def lead_page(
    user: User, filters: LeadFilters, *, cursor: str | None, limit: int
) -> tuple[list[Lead], str | None]:
    """Newest first, keyset-paginated by id: page N costs the same as page 1."""
    qs = filtered_leads(user, filters).select_related("reason_code")
    if cursor:
        qs = qs.filter(pk__lt=decode_cursor(cursor))
    rows = list(qs.order_by("-pk")[: limit + 1])
    next_cursor = encode_cursor(rows[limit - 1].pk) if len(rows) > limit else None
    return rows[:limit], next_cursor


def lead_events(lead: Lead) -> QuerySet[LeadEvent]:
    return lead.events.select_related("reason_code", "actor").order_by("at", "id")
