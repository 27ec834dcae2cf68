"""Who may see and act on a lead. Plain rules over a user and a lead.

An inside rep her own leads; a sales rep the leads handed to her (also after
she rejected them or they went back); a manager her team's (the
teleprospecting team working it, or the sales team it was handed to);
marketing all, read-only; admin all. Acting is narrower: see `can_act`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from leadloop.accounts.choices import Role
from leadloop.accounts.models import User
from leadloop.accounts.selectors import managed_team_ids
from leadloop.handoff.models import Handoff
from leadloop.leads.choices import Action, Stage
from leadloop.leads.models import Lead
from leadloop.leads.states import (
    INSIDE_ACTIONS,
    INSIDE_OPEN,
    OPEN_STAGES,
    SALES_ACTIONS,
    SALES_OPEN,
)


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
    return Handoff.objects.filter(**lookup).values("lead_id")


def can_view(user: User, lead: Lead) -> bool:
    q = visibility_filter(user)
    if q is None:
        return True
    return Lead.objects.filter(q, pk=lead.pk).exists()


def _side_team(lead: Lead) -> int | None:
    """The team answering for the lead now: the teleprospecting team before the hand-off
    (and for a closed lead), the sales rep's team after it."""
    if lead.stage in SALES_OPEN:
        return lead.sales_rep.team_id if lead.sales_rep_id and lead.sales_rep else None
    return lead.team_id


def manages_side(user: User | None, lead: Lead) -> bool:
    """An admin, or the manager of the team whose side the lead is on now."""
    if user is None:
        return False
    if user.role == Role.ADMIN or user.is_superuser:
        return True
    if user.role != Role.MANAGER:
        return False
    team = _side_team(lead)
    return team is not None and team in managed_team_ids(user)


def can_act(user: User | None, lead: Lead, action: str) -> bool:
    """Whether `user` may take `action` on `lead` now (None is the system: the tick).

    The lead's stage decides whose side it is on. Before the hand-off its
    inside rep and her manager act on it; after it, only its sales rep and
    the sales team's manager: an inside rep cannot disqualify a lead in
    "meeting held" and have the report blame the sales rep for it.
    """
    if user is None:
        return True
    role = user.role
    if role == Role.ADMIN or user.is_superuser:
        return True
    if lead.stage == Stage.UNREACHABLE:
        # Marketing nurtures unreachable leads and sends one back to work, as may the
        # teleprospecting team's manager.
        return action == Action.RECYCLE and (role == Role.MARKETING or manages_side(user, lead))
    if role == Role.MANAGER:
        return manages_side(user, lead)
    if role == Role.INSIDE_REP:
        return lead.stage in INSIDE_OPEN and action in INSIDE_ACTIONS and lead.owner_id == user.pk
    if role == Role.SALES_REP:
        return lead.stage in SALES_OPEN and action in SALES_ACTIONS and lead.sales_rep_id == user.pk
    return False


def may_work(user: User | None, lead: Lead) -> bool:
    """Whether `user` may work the lead now: log on it, claim it, move it."""
    if user is None or lead.stage not in OPEN_STAGES:
        return False
    actions = INSIDE_ACTIONS if lead.stage in INSIDE_OPEN else SALES_ACTIONS
    return any(can_act(user, lead, action) for action in actions)
