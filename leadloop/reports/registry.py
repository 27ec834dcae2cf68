"""The reports by name, who may open each, and the one way to run one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType

from django.conf import settings
from django.db import OperationalError

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
from leadloop.reports.db import reporting, timed_out
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


class ReportTimedOut(Exception):
    """The report ran past a web request's statement timeout (503); says what to do instead."""


def get(name: str) -> Spec:
    try:
        return REPORTS[name]
    except KeyError:
        raise UnknownReport(name) from None


def allowed(name: str, viewer: Viewer) -> Spec:
    """The report if the reader's role may open it: UnknownReport, else NotAllowed.

    The doors ask this before they read the filters, so a report that is not
    hers is a 403 whatever she asked it for.
    """
    spec = get(name)
    viewer.check(spec.rep_roles)
    return spec


def run(name: str, viewer: Viewer, filters: ReportFilters, *, now: datetime) -> Report:
    """Build report `name` for `viewer`; NotAllowed if her role may not open it,
    ReportTimedOut if the database stopped it at a web request's statement timeout."""
    spec = allowed(name, viewer)
    try:
        with reporting():
            return spec.build(viewer, filters, now=now)
    except OperationalError as exc:
        if not timed_out(exc):
            raise
        raise ReportTimedOut(
            f"The {spec.title} report took longer than a web request may "
            f"({settings.WEB_STATEMENT_TIMEOUT:g} s) and was stopped. Narrow it (a shorter "
            "period, one team or one campaign), or run it on the command line, which has no "
            f"time limit: leadloop report {spec.name} --from YYYY-MM-DD --to YYYY-MM-DD"
        ) from exc


def visible_reports(viewer: Viewer) -> list[Spec]:
    out = []
    for spec in REPORTS.values():
        try:
            viewer.check(spec.rep_roles)
        except NotAllowed:
            continue
        out.append(spec)
    return out
