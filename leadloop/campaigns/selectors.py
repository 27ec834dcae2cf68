from __future__ import annotations

from django.db.models import F, Q, QuerySet

from leadloop.accounts.choices import Role
from leadloop.accounts.models import Team, User
from leadloop.accounts.selectors import has_role, managed_team_ids
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


def overridable_campaign_ids(user: User) -> set[int] | None:
    """Campaigns the user may override; None means all of them."""
    if has_role(user, Role.MARKETING, Role.ADMIN):
        return None
    if user.role != Role.MANAGER:
        return set()
    managed = managed_team_ids(user)
    # Her team pair: campaigns her teleprospecting team works, or that a team
    # feeding her sales team works (the sales answers are her team's SLA too).
    teams = managed | set(
        Team.objects.filter(feeds__in=managed).values_list("pk", flat=True).distinct()
    )
    return set(Campaign.objects.filter(team__in=teams).values_list("pk", flat=True))
