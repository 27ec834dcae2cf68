"""Reads the web pages need beyond `leads.selectors`: dashboard aggregates and choices.

Every lead count starts from `visible_leads(user)`, so a dashboard can never
show a number about leads its reader may not open. Counts are single
`values().annotate(Count)` queries: the dashboards must stay fast with a
million leads, so nothing here loops over leads in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, QuerySet

from leadloop.accounts.choices import Role
from leadloop.accounts.models import Team, User
from leadloop.accounts.selectors import managed_team_ids, users_with_role
from leadloop.campaigns.models import Campaign
from leadloop.followup import selectors as followup_selectors
from leadloop.leads.choices import Stage
from leadloop.leads.models import Lead
from leadloop.leads.selectors import visible_leads
from leadloop.leads.states import INSIDE_OPEN, OPEN_STAGES, SALES_OPEN
from leadloop.sla.selectors import with_urgency

# How many rows a dashboard table shows; the lead list has the rest.
DASHBOARD_ROWS = 50


def stage_csv(stages: frozenset[Stage] | set[Stage] | list[Stage]) -> str:
    """Stages as the lead list's `stage` parameter, in lifecycle order (stable URLs)."""
    wanted = set(stages)
    return ",".join(s.value for s in Stage if s in wanted)


# Named groups of stages offered in the lead list's stage filter; the home
# pages link to the same values so a link always selects a known option.
STAGE_GROUPS: list[tuple[str, str]] = [
    (stage_csv(OPEN_STAGES), "All open"),
    (stage_csv(INSIDE_OPEN), "Open with inside sales"),
    (stage_csv(SALES_OPEN), "Open with sales"),
    (stage_csv(frozenset(Stage) - OPEN_STAGES), "Closed"),
    (stage_csv(frozenset(Stage) - OPEN_STAGES - {Stage.WON}), "Closed, not won"),
]
OPEN_CSV = STAGE_GROUPS[0][0]
INSIDE_OPEN_CSV = STAGE_GROUPS[1][0]
SALES_OPEN_CSV = STAGE_GROUPS[2][0]
CLOSED_NOT_WON_CSV = STAGE_GROUPS[4][0]


@dataclass(frozen=True)
class StageCount:
    stage: str
    label: str
    n: int


def stage_counts(leads: QuerySet[Lead]) -> list[StageCount]:
    """Leads per stage in lifecycle order; stages without leads are left out."""
    rows = dict(leads.order_by().values_list("stage").annotate(n=Count("id")))
    return [StageCount(s.value, s.label, rows[s.value]) for s in Stage if rows.get(s.value)]


def rep_choices(teams: set[int] | None, role: str) -> QuerySet[User]:
    """Reps of `role` on `teams` (None: all), to filter the lead list by."""
    qs = users_with_role(role).order_by("first_name", "last_name", "username")
    return qs if teams is None else qs.filter(team_id__in=teams)


def sales_reps_for_handoff(lead: Lead) -> QuerySet[User]:
    """Active sales reps on a sales team fed by the lead's team: whom it may go to."""
    return (
        users_with_role(Role.SALES_REP)
        .filter(is_active=True, team__in=lead.team.feeds.all())
        .select_related("team")
        .order_by("team__name", "first_name", "username")
    )


# ---------------------------------------------------------------- home pages


def inside_rep_home(user: User, now: datetime) -> dict[str, Any]:
    leads = visible_leads(user)
    mine = leads.filter(owner=user)
    queue = with_urgency(mine.filter(stage__in=INSIDE_OPEN), now).select_related(
        "campaign", "scored"
    )
    produced = leads.filter(handed_off_by=user)
    return {
        "queue": list(queue[:DASHBOARD_ROWS]),
        "queue_overdue": queue.filter(
            first_contact_due__lt=now, first_contact_at__isnull=True
        ).count(),
        "my_counts": stage_counts(mine),
        "fate_counts": stage_counts(produced),
        "handed_off": list(
            produced.select_related("sales_rep", "campaign").order_by(
                F("handed_off_at").desc(nulls_last=True), "-pk"
            )[:DASHBOARD_ROWS]
        ),
    }


def sales_rep_home(user: User, now: datetime) -> dict[str, Any]:
    mine = visible_leads(user).filter(sales_rep=user)
    inbox = (
        mine.filter(stage=Stage.HANDED_OFF)
        .select_related("campaign", "handed_off_by", "scored")
        .order_by("handed_off_at", "pk")
    )
    working = (
        mine.filter(stage__in=SALES_OPEN - {Stage.HANDED_OFF})
        .select_related("campaign", "handed_off_by")
        .order_by(F("meeting_at").asc(nulls_last=True), "pk")
    )
    return {
        # What she owes comes first (seed 002: sales is held to its follow-up).
        "debt": followup_selectors.my_debt(user, now),
        "inbox": list(inbox[:DASHBOARD_ROWS]),
        "working": list(working[:DASHBOARD_ROWS]),
        "my_counts": stage_counts(mine),
    }


def overdue_first_contact(leads: QuerySet[Lead], now: datetime) -> QuerySet[Lead]:
    """Leads with inside sales whose first-contact SLA has passed with no contact this round.

    Only inside stages: after a hand-off the first contact is history, whatever
    it was. `came_back` tells a lead never contacted from one that was worked
    before and came back (rejected or recycled) and not called back since.
    """
    return leads.filter(
        stage__in=INSIDE_OPEN, first_contact_due__lt=now, first_contact_at__isnull=True
    ).annotate(
        came_back=ExpressionWrapper(
            Q(dials__gt=F("round_dials")) | Q(emails__gt=F("round_emails")),
            output_field=BooleanField(),
        )
    )


def manager_home(user: User, now: datetime) -> dict[str, Any]:
    leads = visible_leads(user)
    teams = managed_team_ids(user)
    inside = (
        users_with_role(Role.INSIDE_REP)
        .filter(team_id__in=teams)
        .annotate(
            open_leads=Count(
                "owned_leads", filter=Q(owned_leads__stage__in=INSIDE_OPEN), distinct=True
            )
        )
        .order_by("-open_leads", "username")
    )
    sales = (
        users_with_role(Role.SALES_REP)
        .filter(team_id__in=teams)
        .annotate(
            open_leads=Count(
                "sales_leads", filter=Q(sales_leads__stage__in=SALES_OPEN), distinct=True
            )
        )
        .order_by("-open_leads", "username")
    )
    overdue = overdue_first_contact(leads, now)
    return {
        "teams": list(Team.objects.filter(pk__in=teams).order_by("name")),
        "team_counts": stage_counts(leads),
        "inside_reps": list(inside),
        "sales_reps": list(sales),
        "overdue_count": overdue.count(),
        "followup": followup_selectors.team_debt(user, now),
        "overdue": list(
            overdue.select_related("owner", "campaign").order_by("first_contact_due", "pk")[
                :DASHBOARD_ROWS
            ]
        ),
    }


def marketing_home(user: User, now: datetime) -> dict[str, Any]:
    leads = visible_leads(user)
    per_campaign = (
        leads.order_by()
        .values("campaign_id", "campaign__name", "campaign__channel")
        .annotate(
            total=Count("id"),
            open=Count("id", filter=Q(stage__in=OPEN_STAGES)),
            won=Count("id", filter=Q(stage=Stage.WON)),
            closed_other=Count("id", filter=~Q(stage__in=OPEN_STAGES) & ~Q(stage=Stage.WON)),
        )
        .order_by("campaign__name")
    )
    return {"campaigns": list(per_campaign), "counts": stage_counts(leads)}


def admin_home(user: User, now: datetime) -> dict[str, Any]:
    leads = visible_leads(user)
    roles = dict(
        User.objects.filter(groups__name__in=Role.values, is_active=True)
        .order_by()
        .values_list("groups__name")
        .annotate(n=Count("id"))
    )
    return {
        "counts": stage_counts(leads),
        "lead_total": leads.count(),
        "open_total": leads.filter(stage__in=OPEN_STAGES).count(),
        "overdue_count": overdue_first_contact(leads, now).count(),
        "users_by_role": [(r.value, r.label, roles.get(r.value, 0)) for r in Role],
        "team_total": Team.objects.count(),
        "campaign_total": Campaign.objects.count(),
    }


# The lead list counts its leads up to this many: past it, "more than 10,000" says
# enough, and the count never costs more than reading that many index entries.
COUNT_CAP = 10_000


def capped_count(leads: QuerySet[Lead]) -> int:
    """How many leads, counting no further than COUNT_CAP + 1 (one query)."""
    return leads.order_by().values("pk")[: COUNT_CAP + 1].count()
