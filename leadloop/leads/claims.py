"""Claims: a short lock so two people do not work the same lead by accident.

Opening a lead to work it claims it for a few minutes (the queue's "next
lead" does, and so does the lead page for whoever may act on it); while the
claim runs, the lead page shows the holder to everyone else and the
services refuse their calls, emails and moves. A claim ends by itself, so a
closed laptop never locks a lead for long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

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


def claim_lead(
    *, lead: Lead | int, user: User, now: datetime, minutes: int = CLAIM_MINUTES
) -> Claim:
    """Claim (or extend one's own claim on) the lead; one conditional UPDATE decides races."""
    lead_id = lead.pk if isinstance(lead, Lead) else lead
    until = now + timedelta(minutes=minutes)
    free = Q(claimed_by__isnull=True) | Q(claimed_until__lte=now) | Q(claimed_by=user)
    won = Lead.objects.filter(free, pk=lead_id).update(claimed_by=user, claimed_until=until)
    if won:
        return Claim(True, user.pk, until)
    holder, held_until = Lead.objects.values_list("claimed_by", "claimed_until").get(pk=lead_id)
    return Claim(False, holder, held_until)


def release_claim(*, lead: Lead | int, user: User) -> bool:
    """Give a claim back (only one's own)."""
    lead_id = lead.pk if isinstance(lead, Lead) else lead
    return bool(
        Lead.objects.filter(pk=lead_id, claimed_by=user).update(claimed_by=None, claimed_until=None)
    )


def take_next_lead(*, user: User, leads: QuerySet[Lead], now: datetime) -> Lead | None:
    """Claim the first lead of `leads` (already in urgency order) that nobody else holds.

    Two reps pressing "next" at once race on the conditional UPDATE; the
    loser moves on to the following lead instead of failing.
    """
    free = Q(claimed_by__isnull=True) | Q(claimed_until__lte=now) | Q(claimed_by=user)
    for lead_id in leads.filter(free).values_list("pk", flat=True)[:20]:
        if claim_lead(lead=lead_id, user=user, now=now).won:
            return Lead.objects.get(pk=lead_id)
    return None
