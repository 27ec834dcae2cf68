"""Which sales rep a qualified lead should go to: territory first, then round robin.

Round robin takes the rep who waited longest since her last handoff, never
an inactive one. A sales team may instead weight the rotation by each rep's
feedback rate over the last 90 days (seed 002: "by tracking which reps give
us the highest percentage of feedback, our clients can even determine who to
assign and not assign future opportunities to"): a rep who reports back on
every lead gets her full share, one who reports on half gets half as many.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Count, Q

from leadloop.accounts.choices import Role
from leadloop.accounts.models import Team, TerritoryRule, User
from leadloop.accounts.selectors import users_with_role
from leadloop.leads.models import Lead
from leadloop.sla.choices import ClockKind, ClockResult
from leadloop.sla.models import SlaClock

FEEDBACK_WINDOW = timedelta(days=90)
# A rep with no handoffs in the window counts as a perfect reporter; nobody
# drops below this weight, so a bad quarter slows her leads without stopping them.
MIN_WEIGHT = 0.1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Suggestion:
    rep: User
    why: str
    feedback_rate: float | None  # handed-off leads with feedback / all, last 90 days
    received: int  # handoffs in the last 90 days


def feedback_rates(reps: list[User], now: datetime) -> dict[int, tuple[int, int]]:
    """(handoffs received, handoffs with feedback) per rep over the last 90 days, one query.

    A handoff's feedback clock stops when sales records an outcome (or
    rejects, or the lead is recycled); cancelled ones do not count.
    """
    rows = (
        SlaClock.objects.filter(
            user__in=reps, kind=ClockKind.FEEDBACK, started_at__gte=now - FEEDBACK_WINDOW
        )
        .exclude(result=ClockResult.CANCELLED)
        .values("user_id")
        .annotate(total=Count("id"), given=Count("id", filter=Q(stopped_at__isnull=False)))
    )
    return {r["user_id"]: (r["total"], r["given"]) for r in rows}


def suggest_sales_reps(lead: Lead, now: datetime) -> list[Suggestion]:
    """Every active sales rep the lead may go to, the suggested one first."""
    teams = list(lead.team.feeds.all())
    reps = list(
        users_with_role(Role.SALES_REP)
        .filter(is_active=True, team__in=teams)
        .select_related("team")
        .order_by("pk")
    )
    if not reps:
        return []
    stats = feedback_rates(reps, now)

    def rate(rep: User) -> float | None:
        total, given = stats.get(rep.pk, (0, 0))
        return given / total if total else None

    def received(rep: User) -> int:
        return stats.get(rep.pk, (0, 0))[0]

    out: list[Suggestion] = []
    territory = _territory_rep(lead, teams, reps)
    if territory is not None:
        where = f"{lead.country}/{lead.region}" if lead.region else lead.country
        out.append(
            Suggestion(territory, f"territory {where}", rate(territory), received(territory))
        )

    def rotation_key(rep: User) -> tuple[float, datetime, int]:
        waited = rep.last_assigned_at or _EPOCH
        if rep.team is not None and rep.team.weight_handoffs_by_feedback:
            r = rate(rep)
            weight = max(MIN_WEIGHT, 1.0 if r is None else r)
            return (received(rep) / weight, waited, rep.pk)
        return (0.0, waited, rep.pk)

    for rep in sorted((r for r in reps if r is not territory), key=rotation_key):
        weighted = rep.team is not None and rep.team.weight_handoffs_by_feedback
        why = "round robin, weighted by feedback rate" if weighted else "round robin"
        out.append(Suggestion(rep, why, rate(rep), received(rep)))
    return out


def _territory_rep(lead: Lead, teams: list[Team], reps: list[User]) -> User | None:
    if not lead.country:
        return None
    active = {rep.pk: rep for rep in reps}
    rules = TerritoryRule.objects.filter(
        team__in=teams, country=lead.country.upper(), region__in=[lead.region, ""]
    ).order_by("-region", "pk")  # a region rule is more specific than the country's
    for rule in rules:
        if rule.rep_id in active:
            return active[rule.rep_id]
    return None
