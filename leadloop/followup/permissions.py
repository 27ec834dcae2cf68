"""Who may work and edit the follow-up: the lifecycle's rules, plus templates for managers."""

from __future__ import annotations

from leadloop.accounts.choices import Role
from leadloop.accounts.models import User
from leadloop.accounts.selectors import managed_team_ids
from leadloop.followup.models import CadenceTemplate
from leadloop.leads.choices import Action
from leadloop.leads.models import Lead
from leadloop.leads.permissions import can_act


def may_work_task(user: User, lead: Lead) -> bool:
    """Whoever may record the meeting's outcome works its follow-up: the sales rep it was
    handed to, a manager of the team, an admin."""
    return can_act(user, lead, Action.MEETING_HELD)


def is_admin(user: User) -> bool:
    return bool(user.is_superuser or user.role == Role.ADMIN)


def may_see_templates(user: User) -> bool:
    return is_admin(user) or user.role == Role.MANAGER


def may_edit_template(user: User, template: CadenceTemplate) -> bool:
    """The default (no team) is the admin's; a team's own, its manager's."""
    if is_admin(user):
        return True
    if user.role != Role.MANAGER or template.team_id is None:
        return False
    return template.team_id in managed_team_ids(user)
