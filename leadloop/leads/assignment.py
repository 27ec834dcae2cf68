"""Which inside rep gets a new lead: territory first, then round robin."""

from __future__ import annotations

from datetime import datetime

from django.db.models import F

from leadloop.accounts.choices import Role
from leadloop.accounts.models import Team, TerritoryRule, User
from leadloop.accounts.selectors import active_reps


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
    """Pick the rep and mark her assigned at `now`.

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
