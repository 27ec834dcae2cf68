from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from leadloop.api.schemas import ERRORS
from leadloop.campaigns.models import Campaign

router = Router(tags=["reference"])


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
