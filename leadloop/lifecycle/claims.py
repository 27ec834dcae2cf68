"""Claiming a lead to work it, letting go, and taking the next one from the queue.

One conditional UPDATE decides every race: two reps pressing "Next lead" at
once get two different leads, and a claim is only ever extended by its
holder. Claims are not history (no event): they are a courtesy lock that
runs out by itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from leadloop.accounts.models import User
from leadloop.leads.claims import CLAIM_MINUTES, Claim
from leadloop.leads.models import Lead
from leadloop.leads.permissions import may_work
from leadloop.lib.errors import NotPermitted


def _free(user: User, now: datetime) -> Q:
    return Q(claimed_by__isnull=True) | Q(claimed_until__lte=now) | Q(claimed_by=user)


def _try(lead_id: int, user: User, now: datetime, minutes: int) -> Claim:
    until = now + timedelta(minutes=minutes)
    won = Lead.objects.filter(_free(user, now), pk=lead_id).update(
        claimed_by=user, claimed_until=until
    )
    if won:
        return Claim(True, user.pk, until)
    holder, held_until = Lead.objects.values_list("claimed_by", "claimed_until").get(pk=lead_id)
    return Claim(False, holder, held_until)


def claim_lead(*, lead: Lead, user: User, now: datetime, minutes: int = CLAIM_MINUTES) -> Claim:
    """Claim (or extend one's own claim on) a lead she may work now.

    NotPermitted for someone who may not work it; a claim not won (someone
    else holds the lead) says who and until when (`leads.claims.claimed_error`
    turns it into the refusal).
    """
    if not may_work(user, lead):
        raise NotPermitted(
            f"{user} may not work lead {lead.pk} while it is "
            f"{lead.get_stage_display().lower()}, so cannot claim it."
        )
    return _try(lead.pk, user, now, minutes)


def release_claim(*, lead: Lead | int, user: User) -> bool:
    """Give a claim back (only one's own); False if she held none.

    Whoever holds a claim may always let it go. Someone who holds none and may
    not work the lead is refused, as her claim would be: a door must not answer
    "done" to a move its caller may not make.
    """
    lead_id = lead.pk if isinstance(lead, Lead) else lead
    released = bool(
        Lead.objects.filter(pk=lead_id, claimed_by=user).update(claimed_by=None, claimed_until=None)
    )
    if not released:
        current = lead if isinstance(lead, Lead) else Lead.objects.get(pk=lead_id)
        if not may_work(user, current):
            raise NotPermitted(f"{user} may not work lead {lead_id}, so has no claim to let go.")
    return released


def take_next_lead(*, user: User, leads: QuerySet[Lead], now: datetime) -> Lead | None:
    """Claim the first lead of `leads` (already in urgency order) that nobody else holds.

    Two reps pressing "next" at once race on the conditional UPDATE; the
    loser moves on to the following lead instead of failing.
    """
    for lead_id in leads.filter(_free(user, now)).values_list("pk", flat=True)[:20]:
        lead = Lead.objects.select_related("sales_rep", "scored").get(pk=lead_id)
        if may_work(user, lead) and _try(lead_id, user, now, CLAIM_MINUTES).won:
            lead.refresh_from_db(fields=["claimed_by", "claimed_until"])
            return lead
    return None
