from __future__ import annotations

from django.db.models import F, Q, QuerySet

from leadloop.campaigns.defaults import SOURCE_POLICY_DEFAULTS
from leadloop.campaigns.models import Campaign, SourcePolicy


def policy_for(campaign: Campaign) -> SourcePolicy:
    """The campaign's own policy if it has one, else its channel's default."""
    # One query for both: the campaign's row sorts before the channel default.
    found = (
        SourcePolicy.objects.filter(
            Q(campaign=campaign) | Q(channel=campaign.channel, campaign__isnull=True)
        )
        .order_by(F("campaign_id").desc(nulls_last=True))
        .first()
    )
    if found is not None:
        return found
    # The defaults migration creates one row per channel; an admin may have
    # deleted one, so fall back to the seeds' values rather than fail intake.
    return SourcePolicy(channel=campaign.channel, **SOURCE_POLICY_DEFAULTS[campaign.channel])


def campaign_choices(teams: set[int] | None) -> QuerySet[Campaign]:
    """Campaigns worked by `teams` (None: all), from `relevant_team_ids`."""
    qs = Campaign.objects.order_by("name")
    return qs if teams is None else qs.filter(team_id__in=teams)
