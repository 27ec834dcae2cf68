from __future__ import annotations

from leadloop.campaigns.defaults import SOURCE_POLICY_DEFAULTS
from leadloop.campaigns.models import Campaign, SourcePolicy


def policy_for(campaign: Campaign) -> SourcePolicy:
    """The campaign's own policy if it has one, else its channel's default."""
    own = SourcePolicy.objects.filter(campaign=campaign).first()
    if own is not None:
        return own
    default = SourcePolicy.objects.filter(channel=campaign.channel, campaign=None).first()
    if default is not None:
        return default
    # The defaults migration creates one row per channel; an admin may have
    # deleted one, so fall back to the seeds' values rather than fail intake.
    return SourcePolicy(channel=campaign.channel, **SOURCE_POLICY_DEFAULTS[campaign.channel])
