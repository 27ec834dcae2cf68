"""Who may see and act on a lead. Plain rules over a user and a lead.

An inside rep her own leads; a sales rep the leads handed to her (also after
she rejected them or they went back); a manager her team's (the
teleprospecting team working it, or the sales team it was handed to);
marketing all, read-only; admin all. Acting is narrower: see `can_act`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from leadloop.accounts.choices import Role
from leadloop.accounts.models import User
from leadloop.accounts.selectors import managed_team_ids
from leadloop.leads.choices import Action
from leadloop.leads.models import Lead
from leadloop.leads.states import INSIDE_ACTIONS, SALES_ACTIONS

if TYPE_CHECKING:
    from leadloop.handoff.models import Handoff


def visibility_filter(user: User) -> Q | None:
    """A filter on Lead for what `user` may see; None means everything."""
    role = user.role
    if role in (Role.ADMIN, Role.MARKETING) or user.is_superuser:
        return None
    if role == Role.MANAGER:
        teams = managed_team_ids(user)
        return (
            Q(team_id__in=teams)
            | Q(sales_rep__team_id__in=teams)
            | Q(pk__in=_handed_to(to_rep__team_id__in=teams))
        )
    if role == Role.INSIDE_REP:
        return Q(owner=user) | Q(handed_off_by=user)
    if role == Role.SALES_REP:
        # Hers now, and every lead ever handed to her: a lead she rejected or
        # that went back to its inside rep stays readable, and counts in her
        # own accountability report.
        return Q(sales_rep=user) | Q(pk__in=_handed_to(to_rep=user))
    return Q(pk__in=[])


def _handed_to(**lookup: object) -> QuerySet[Handoff, Any]:
    """The ids of leads with a handoff matching `lookup`, as a subquery."""
    from leadloop.handoff.models import Handoff

    return Handoff.objects.filter(**lookup).values("lead_id")


def can_view(user: User, lead: Lead) -> bool:
    q = visibility_filter(user)
    if q is None:
        return True
    return Lead.objects.filter(q, pk=lead.pk).exists()


def can_act(user: User | None, lead: Lead, action: str) -> bool:
    """Whether `user` may take `action` on `lead` (None is the system: the tick)."""
    if user is None:
        return True
    role = user.role
    if role == Role.ADMIN or user.is_superuser:
        return True
    if role == Role.MARKETING:
        # Marketing sends unreachable leads it has nurtured back to work.
        return action == Action.RECYCLE and lead.stage == "unreachable"
    if role == Role.MANAGER:
        teams = managed_team_ids(user)
        sales_team = lead.sales_rep.team_id if lead.sales_rep_id and lead.sales_rep else None
        return lead.team_id in teams or (sales_team is not None and sales_team in teams)
    if role == Role.INSIDE_REP:
        return action in INSIDE_ACTIONS and lead.owner_id == user.pk
    if role == Role.SALES_REP:
        return action in SALES_ACTIONS and lead.sales_rep_id == user.pk
    return False
