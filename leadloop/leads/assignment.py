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

    Call inside a transaction: the team row is locked so two intakes at once
    cannot both hand the next lead to the same rep.
    """
    Team.objects.select_for_update().filter(pk=team.pk).first()
    rep = territory_rep(team, country, region)
    if rep is None:
        # A rep never assigned comes first on both databases (their default
        # null ordering differs).
        rep = (
            active_reps(team, Role.INSIDE_REP)
            .order_by(F("last_assigned_at").asc(nulls_first=True), "id")
            .first()
        )
    if rep is not None:
        User.objects.filter(pk=rep.pk).update(last_assigned_at=now)
    return rep
