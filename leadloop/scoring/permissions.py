"""Who works on scoring: marketing owns the model, managers and admins apply it too."""

from __future__ import annotations

from leadloop.accounts.choices import Role
from leadloop.accounts.models import User
from leadloop.accounts.selectors import has_role

SCORING_ROLES = (Role.ADMIN, Role.MARKETING, Role.MANAGER)


def may_score(user: User) -> bool:
    """See models and backtests, tune, apply (the whole organisation's model)."""
    return bool(user.is_active and has_role(user, *SCORING_ROLES))
