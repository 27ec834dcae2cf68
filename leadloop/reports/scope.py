"""Who reads a report, and so which leads its numbers may count.

Reports are for managers (their teams), marketing and admins (everything).
An inside rep or a sales rep may open the reports about her own work, and
sees only her own numbers: the `rep` filter is fixed to her and every count
starts from the leads she may see (`leads.permissions.visibility_filter`).
The command line has no user and sees everything, like the admin.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import tzinfo
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

from leadloop.accounts.choices import Role
from leadloop.accounts.models import User
from leadloop.leads.permissions import visibility_filter
from leadloop.reports.filters import ReportFilters
from leadloop.reports.metrics import prefixed

REP_ROLES = frozenset({Role.INSIDE_REP, Role.SALES_REP})
FULL_ROLES = frozenset({Role.MANAGER, Role.MARKETING, Role.ADMIN})


class NotAllowed(Exception):
    """The reader may not open this report (403)."""


@dataclass(frozen=True)
class Viewer:
    user: User | None
    tz: tzinfo

    @classmethod
    def everything(cls, tz: tzinfo | None = None) -> Viewer:
        return cls(user=None, tz=tz or ZoneInfo(settings.LEADLOOP_DEFAULT_TIMEZONE))

    @property
    def role(self) -> str | None:
        if self.user is None:
            return Role.ADMIN
        return self.user.role

    @property
    def own_rep(self) -> int | None:
        """A rep's own id: her reports show her numbers only."""
        if self.user is not None and self.role in REP_ROLES:
            return self.user.pk
        return None

    def lead_q(self, prefix: str = "") -> Q | None:
        """What the reader may see, as a filter on Lead (or through `prefix`); None: all."""
        if self.user is None:
            return None
        q = visibility_filter(self.user)
        if q is None:
            return None
        return prefixed(q, prefix) if prefix else q

    def restrict(self, filters: ReportFilters) -> ReportFilters:
        """A rep's filters: always her own numbers, whatever was asked."""
        own = self.own_rep
        return filters if own is None else replace(filters, rep=own)

    def check(self, rep_roles: frozenset[str]) -> None:
        """Refuse a reader whose role may not open the report."""
        role = self.role
        if role in FULL_ROLES or (self.user is not None and self.user.is_superuser):
            return
        if role in rep_roles:
            return
        raise NotAllowed(f"The {role or 'no-role'} role may not open this report.")
