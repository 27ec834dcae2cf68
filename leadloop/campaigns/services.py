"""Writes about source policies: the per-channel SLA defaults and per-campaign overrides.

Marketing owns the sources and managers set the SLAs (DESIGN, "People and
roles"), so both may change them. A channel default applies to every team; a
manager overrides only the campaigns her own team pair works. A changed
policy applies to leads that arrive afterwards: running clocks keep the due
times they were started with.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from leadloop.accounts.choices import Role
from leadloop.accounts.models import Team, User
from leadloop.accounts.selectors import has_role
from leadloop.campaigns.choices import Channel, SlaUnit
from leadloop.campaigns.models import Campaign, SourcePolicy
from leadloop.campaigns.selectors import overridable_campaign_ids, policy_for
from leadloop.lib.errors import NotPermitted

log = logging.getLogger("leadloop.campaigns")

# Allowed range of each number. Upper bounds keep business-day arithmetic
# (a loop over days) short and catch a typo like 500 for 5; zero is allowed
# only where it means something: "the same business day" for the sales
# answers, "no emails" (or "no dials") in the attempt policy.
LIMITS: dict[str, tuple[int, int]] = {
    "priority": (1, 5),
    "first_contact_amount": (1, 1000),
    "max_open_days": (1, 250),
    "max_dials": (0, 100),
    "max_emails": (0, 100),
    "accept_days": (0, 60),
    "outcome_days": (0, 60),
    "feedback_days": (1, 250),
    "update_days": (1, 365),
}
POLICY_FIELDS = (
    "priority",
    "first_contact_amount",
    "first_contact_unit",
    "max_open_days",
    "max_dials",
    "max_emails",
    "accept_days",
    "outcome_days",
    "feedback_days",
    "update_days",
)
POLICY_ROLES = (Role.MANAGER, Role.MARKETING, Role.ADMIN)
CAMPAIGN_NAME_LENGTH = 160


def may_view_policies(user: User) -> bool:
    return has_role(user, *POLICY_ROLES)


def may_edit_policy(user: User, policy: SourcePolicy) -> bool:
    """Channel defaults: every policy role. Overrides: as for the campaign."""
    if policy.campaign is not None:
        return may_override(user, policy.campaign)
    return may_view_policies(user)


def may_override(user: User, campaign: Campaign) -> bool:
    allowed = overridable_campaign_ids(user)
    return allowed is None or campaign.pk in allowed


def _validated(current: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """`current` with `values` applied, each checked; the first bad one is named."""
    unknown = sorted(set(values) - set(POLICY_FIELDS))
    if unknown:
        raise ValidationError({unknown[0]: "not a source policy setting"})
    merged = current | values
    unit = merged["first_contact_unit"]
    if unit not in SlaUnit.values:
        raise ValidationError(
            {"first_contact_unit": f"'{unit}' is not one of {', '.join(SlaUnit.values)}"}
        )
    for name, (low, high) in LIMITS.items():
        value = merged[name]
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError({name: f"must be a whole number, got {value!r}"})
        if not low <= value <= high:
            raise ValidationError({name: f"must be between {low} and {high}, got {value}"})
    if merged["max_dials"] == 0 and merged["max_emails"] == 0:
        raise ValidationError(
            {"max_dials": "a lead needs at least one dial or one email before it is unreachable"}
        )
    if unit == SlaUnit.BUSINESS_DAYS and merged["first_contact_amount"] > merged["max_open_days"]:
        raise ValidationError(
            {
                "first_contact_amount": (
                    f"{merged['first_contact_amount']} business days is later than the "
                    f"maximum open age of {merged['max_open_days']} business days"
                )
            }
        )
    return merged


def _values_of(policy: SourcePolicy) -> dict[str, Any]:
    return {name: getattr(policy, name) for name in POLICY_FIELDS}


@transaction.atomic
def update_source_policy(*, policy: SourcePolicy, actor: User, **values: Any) -> SourcePolicy:
    """Change some settings of a channel default or a campaign override."""
    # Lock only the policy row: the campaign is a nullable (outer) join.
    locked = (
        SourcePolicy.objects.select_for_update(of=("self",))
        .select_related("campaign")
        .get(pk=policy.pk)
    )
    if not may_edit_policy(actor, locked):
        raise NotPermitted(f"{actor} may not change the source policy '{locked}'.")
    merged = _validated(_values_of(locked), values)
    for name, value in merged.items():
        setattr(locked, name, value)
    locked.save(update_fields=list(POLICY_FIELDS))
    log.info(
        "source policy changed",
        extra={"policy": locked.pk, "actor": actor.pk, "fields": ",".join(sorted(values))},
    )
    return locked


@transaction.atomic
def set_campaign_override(*, campaign: Campaign, actor: User, **values: Any) -> SourcePolicy:
    """Give the campaign its own policy, or change the one it has.

    A new override starts from what the campaign uses now (its channel's
    default), so the settings not given stay as they were.
    """
    # The campaign row is the lock: two first overrides at once would otherwise
    # both see none and one would fail on the one-to-one constraint.
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if not may_override(actor, locked):
        raise NotPermitted(f"{actor} may not change the source policy of {locked}.")
    existing = SourcePolicy.objects.filter(campaign=locked).first()
    base = existing or policy_for(locked)
    merged = _validated(_values_of(base), values)
    policy = existing or SourcePolicy(campaign=locked)
    policy.channel = locked.channel
    for name, value in merged.items():
        setattr(policy, name, value)
    policy.save()
    log.info(
        "campaign policy set",
        extra={"campaign": locked.pk, "policy": policy.pk, "actor": actor.pk},
    )
    return policy


@transaction.atomic
def remove_campaign_override(*, campaign: Campaign, actor: User) -> bool:
    """Put the campaign back on its channel's default; False if it had no override."""
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if not may_override(actor, locked):
        raise NotPermitted(f"{actor} may not change the source policy of {locked}.")
    deleted, _ = SourcePolicy.objects.filter(campaign=locked).delete()
    if deleted:
        log.info("campaign policy removed", extra={"campaign": locked.pk, "actor": actor.pk})
    return bool(deleted)


def create_campaign(*, name: str, channel: str, team: Team) -> Campaign:
    """A campaign an import names that leadloop does not know yet (its team works its leads)."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"campaign": "a campaign needs a name"})
    if len(name) > CAMPAIGN_NAME_LENGTH:
        raise ValidationError(
            {"campaign": f"'{name[:40]}...' is longer than {CAMPAIGN_NAME_LENGTH} characters"}
        )
    if channel not in Channel.values:
        raise ValidationError(
            {"channel": f"'{channel}' is not a channel; one of {', '.join(Channel.values)}"}
        )
    campaign, created = Campaign.objects.get_or_create(
        name=name, defaults={"channel": channel, "team": team}
    )
    if created:
        facts = {"campaign": campaign.pk, "campaign_name": name, "channel": channel}
        # Logged once it exists for good (an import's dry run makes it and rolls back).
        transaction.on_commit(lambda: log.info("campaign created", extra=facts | {"team": team.pk}))
    return campaign
