"""Who works a lead: the inside rep a new lead goes to, and a manager's reassignments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from leadloop.accounts.choices import Role
from leadloop.accounts.models import Team, TerritoryRule, User
from leadloop.accounts.selectors import active_reps, managed_team_ids
from leadloop.leads import states
from leadloop.leads.models import Lead
from leadloop.lib.errors import NotPermitted
from leadloop.lib.times import utc
from leadloop.lifecycle import clocks, events, news, outbox


def territory_rep(team: Team, country: str, region: str) -> User | None:
    """The active rep whose territory covers (country, region), most specific first."""
    if not country:
        return None
    rules = TerritoryRule.objects.filter(
        team=team, country=country.upper(), region__in=[region, ""], rep__is_active=True
    ).select_related("rep")
    best = sorted(rules, key=lambda r: r.region == "")
    return best[0].rep if best else None


def assign_inside_rep(*, team: Team, country: str, region: str, now: datetime) -> User | None:
    """Pick the rep for a new lead (territory first, then round robin) and mark her assigned.

    The rep who waited longest is taken with SKIP LOCKED, so intakes for one
    team run side by side: a rep another intake is assigning right now is
    passed over for the next one, never given two leads by one race.
    """
    rep = territory_rep(team, country, region)
    if rep is None:
        # A rep never assigned comes first on both databases (their default
        # null ordering differs).
        candidates = active_reps(team, Role.INSIDE_REP).order_by(
            F("last_assigned_at").asc(nulls_first=True), "id"
        )
        rep = candidates.select_for_update(skip_locked=True, of=("self",)).first()
        if rep is None:
            rep = candidates.select_for_update(of=("self",)).first()
    if rep is not None:
        User.objects.filter(pk=rep.pk).update(last_assigned_at=now)
    return rep


def reassign_leads(
    *, lead_ids: Sequence[int], to_rep: User, actor: User, now: datetime
) -> list[int]:
    """A manager moves open leads to another inside rep of their team; an event per lead.

    Returns the ids that changed hands (a lead she already owns is left as
    is). Her running inside clocks move with the lead; any claim is dropped.
    """
    if actor.role not in (Role.MANAGER, Role.ADMIN) and not actor.is_superuser:
        raise NotPermitted(f"{actor} may not reassign leads; a manager of the team may.")
    now = utc(now, "now")
    ids = sorted({int(i) for i in lead_ids})
    if not ids:
        raise ValidationError({"leads": "choose at least one lead"})
    if not to_rep.is_active or to_rep.role != Role.INSIDE_REP:
        raise ValidationError({"to_rep": f"{to_rep} is not an active inside rep"})
    with transaction.atomic():
        leads = list(
            Lead.objects.select_for_update(of=("self",), no_key=True)
            .filter(pk__in=ids)
            .order_by("pk")
        )
        found = {lead.pk for lead in leads}
        if missing := [i for i in ids if i not in found]:
            raise ValidationError({"leads": f"no such leads: {', '.join(map(str, missing))}"})
        managed = (
            None if actor.role == Role.ADMIN or actor.is_superuser else managed_team_ids(actor)
        )
        for lead in leads:
            if managed is not None and lead.team_id not in managed:
                raise NotPermitted(f"Lead {lead.pk} is not on a team {actor} manages.")
            if lead.stage not in states.INSIDE_OPEN:
                raise ValidationError(
                    {
                        "leads": f"lead {lead.pk} is {lead.get_stage_display().lower()}, not open "
                        "with inside sales"
                    }
                )
            if lead.team_id != to_rep.team_id:
                raise ValidationError(
                    {"to_rep": f"{to_rep} is not on lead {lead.pk}'s team ({lead.team})"}
                )
        moving = [lead for lead in leads if lead.owner_id != to_rep.pk]
        if not moving:
            return []
        moved = [lead.pk for lead in moving]
        Lead.objects.filter(pk__in=moved).update(
            owner=to_rep,
            updated_at=now,
            version=F("version") + 1,
            claimed_by=None,
            claimed_until=None,
        )
        clocks.move_to(lead_ids=moved, user_id=to_rep.pk)
        why = f"reassigned by {actor}"
        written = events.record_each(
            (
                (lead, events.assigned(owner=to_rep.pk, why=why, previous_owner=lead.owner_id))
                for lead in moving
            ),
            at=now,
            actor=actor,
        )
        for lead, event in zip(moving, written, strict=True):
            news.tell(
                [to_rep],
                lead=lead,
                now=now,
                event=event,
                summary=f"assigned to you by {actor}",
                actor=str(actor),
            )
        outbox.publish(written)
    return moved
