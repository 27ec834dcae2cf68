from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from leadloop.accounts.models import User
from leadloop.api.auth import caller
from leadloop.api.schemas import ERRORS
from leadloop.campaigns.models import Campaign, SourcePolicy
from leadloop.campaigns.services import POLICY_FIELDS, may_view_policies, update_source_policy
from leadloop.lib.errors import NotPermitted

router = Router(tags=["reference"])
# Mounted at the API root: /source-policies is not under /campaigns.
policies_router = Router(tags=["sla"])


class CampaignOut(Schema):
    id: int
    name: str
    channel: str
    team: int
    cost: Decimal
    starts_on: date | None
    ends_on: date | None
    target_industries: list[str]
    target_sizes: list[str]
    target_countries: list[str]
    is_active: bool


@router.get("", response={200: list[CampaignOut], **ERRORS}, summary="Campaigns")
def list_campaigns(request: HttpRequest, channel: str | None = None) -> Any:
    qs = Campaign.objects.all()
    if channel:
        qs = qs.filter(channel=channel)
    return [
        {
            "id": c.pk,
            "name": c.name,
            "channel": c.channel,
            "team": c.team_id,
            "cost": c.cost,
            "starts_on": c.starts_on,
            "ends_on": c.ends_on,
            "target_industries": c.target_industries,
            "target_sizes": c.target_sizes,
            "target_countries": c.target_countries,
            "is_active": c.is_active,
        }
        for c in qs
    ]


class SourcePolicyOut(Schema):
    id: int
    channel: str
    campaign: int | None
    priority: int
    first_contact_amount: int
    first_contact_unit: str
    max_open_days: int
    max_dials: int
    max_emails: int
    accept_days: int
    outcome_days: int
    feedback_days: int
    update_days: int


class SourcePolicyIn(Schema):
    """Settings to change; the ones left out keep their values."""

    priority: int | None = None
    first_contact_amount: int | None = None
    first_contact_unit: str | None = None
    max_open_days: int | None = None
    max_dials: int | None = None
    max_emails: int | None = None
    accept_days: int | None = None
    outcome_days: int | None = None
    feedback_days: int | None = None
    update_days: int | None = None


def policy_json(policy: SourcePolicy) -> dict[str, Any]:
    return {
        "id": policy.pk,
        "channel": policy.channel,
        "campaign": policy.campaign_id,
        **{name: getattr(policy, name) for name in POLICY_FIELDS},
    }


def _policy_user(request: HttpRequest) -> User:
    user = caller(request)
    if not may_view_policies(user):
        raise NotPermitted("Only managers, marketing and admins see source policies.")
    return user


@policies_router.get(
    "/source-policies",
    response={200: list[SourcePolicyOut], **ERRORS},
    summary="Source policies: channel defaults and campaign overrides",
    description="`campaign` is null for a channel's default; a campaign's row overrides it.",
)
def list_source_policies(request: HttpRequest) -> Any:
    _policy_user(request)
    rows = SourcePolicy.objects.order_by("campaign_id", "channel", "pk")
    return [policy_json(p) for p in rows]


@policies_router.put(
    "/source-policies/{policy_id}",
    response={200: SourcePolicyOut, **ERRORS},
    summary="Change a source policy",
    description=(
        "Partial: only the settings sent change. `priority` 1-5 (1 most urgent), "
        "`first_contact_unit` business_hours or business_days. Applies to leads that "
        "arrive afterwards. 422 naming the field for a value out of range."
    ),
)
def update_policy(request: HttpRequest, policy_id: int, payload: SourcePolicyIn) -> Any:
    user = _policy_user(request)
    policy = get_object_or_404(SourcePolicy, pk=policy_id)
    updated = update_source_policy(policy=policy, actor=user, **payload.dict(exclude_unset=True))
    return policy_json(updated)
