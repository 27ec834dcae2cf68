"""Claims: a short lock so two people do not work the same lead by accident.

A lead is claimed for a few minutes by "Next lead" in the queue or the
lead page's "Work this lead" button, only by someone who may work it now
(never by opening the page, never by a manager looking); while the claim
runs, the lead page shows the holder to everyone else and the actions
refuse their calls, emails and moves. Any stage change releases it, and it
ends by itself, so a closed laptop never locks a lead for long. The writes
are `lifecycle.claims`; these are the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from leadloop.accounts.models import User
from leadloop.leads.models import Lead
from leadloop.lib.errors import LeadClaimed
from leadloop.lib.zones import zone_named

CLAIM_MINUTES = 15


@dataclass(frozen=True)
class Claim:
    won: bool
    holder_id: int | None
    until: datetime | None


def is_claimed_by_other(lead: Lead, user: User | None, now: datetime) -> bool:
    return (
        user is not None
        and lead.claimed_by_id is not None
        and lead.claimed_by_id != user.pk
        and lead.claimed_until is not None
        and lead.claimed_until > now
    )


def claimed_error(
    lead: Lead, holder_id: int | None, until: datetime, *, reader: User | None
) -> LeadClaimed:
    """The refusal, naming the holder and the time in the reader's zone."""
    holder = User.objects.filter(pk=holder_id).first() if holder_id else None
    return LeadClaimed(
        lead_id=lead.pk,
        stage=lead.stage,
        holder_id=holder_id,
        holder_name=str(holder) if holder else "",
        until=until,
        zone=zone_named(reader.timezone if reader else None),
    )


def check_claim(lead: Lead, user: User | None, now: datetime) -> None:
    """Refuse a person's action on a lead someone else holds; the system (None) always passes."""
    if is_claimed_by_other(lead, user, now):
        assert lead.claimed_until is not None and lead.claimed_by_id is not None
        raise claimed_error(lead, lead.claimed_by_id, lead.claimed_until, reader=user)
