"""The reports by name, who may open each, and the one way to run one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType

from leadloop.accounts.choices import Role
from leadloop.reports import (
    aging,
    campaigns,
    funnel,
    reasons,
    sales,
    sla,
    teleprospectors,
    unreachable,
)
from leadloop.reports.db import reporting
from leadloop.reports.filters import ReportFilters
from leadloop.reports.result import Report
from leadloop.reports.scope import NotAllowed, Viewer

Builder = Callable[..., Report]


@dataclass(frozen=True)
class Spec:
    name: str
    title: str
    description: str
    build: Builder
    # Rep roles that may open it, restricted to their own numbers; managers,
    # marketing and admins may open every report.
    rep_roles: frozenset[str]


def _spec(module: ModuleType, rep_roles: frozenset[str]) -> Spec:
    return Spec(
        name=module.NAME,
        title=module.TITLE,
        description=module.DESCRIPTION,
        build=module.build,
        rep_roles=rep_roles,
    )


INSIDE = frozenset({Role.INSIDE_REP})
SALES = frozenset({Role.SALES_REP})
BOTH = INSIDE | SALES
NONE: frozenset[str] = frozenset()

REPORTS: dict[str, Spec] = {
    spec.name: spec
    for spec in (
        _spec(sla, BOTH),
        _spec(aging, BOTH),
        _spec(sales, SALES),
        _spec(teleprospectors, INSIDE),
        _spec(campaigns, NONE),
        _spec(funnel, NONE),
        _spec(reasons, BOTH),
        _spec(unreachable, NONE),
    )
}


class UnknownReport(KeyError):
    pass


def get(name: str) -> Spec:
    try:
        return REPORTS[name]
    except KeyError:
        raise UnknownReport(name) from None


def run(name: str, viewer: Viewer, filters: ReportFilters, *, now: datetime) -> Report:
    """Build report `name` for `viewer`; NotAllowed if her role may not open it."""
    spec = get(name)
    viewer.check(spec.rep_roles)
    with reporting():
        return spec.build(viewer, filters, now=now)


def visible_reports(viewer: Viewer) -> list[Spec]:
    out = []
    for spec in REPORTS.values():
        try:
            viewer.check(spec.rep_roles)
        except NotAllowed:
            continue
        out.append(spec)
    return out
