"""The leads behind one number of a report: the lead list's drill-down filters.

Every number on a report links to the lead list with these filters; they
select with the same definitions the report counted with (`metrics`), so a
number and the length of its list agree. The lead list applies them last,
to what the reader may see (`leads.selectors.LeadFilters.narrowing`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from leadloop.accounts.models import Team
from leadloop.leads.models import Lead
from leadloop.reports import metrics


@dataclass(frozen=True)
class Drilldown:
    channel: str | None = None
    sales_team: int | None = None
    handed_off_by: int | None = None
    # The instant time-relative filters (late, at risk, age) are judged at.
    as_of: datetime | None = None
    reach: str | None = None
    out_of_target: bool = False
    step: str | None = None
    no_response: bool = False
    past_max_age: bool = False
    age_min: int | None = None
    age_max: int | None = None
    sla: str | None = None
    sla_result: str | None = None
    sla_user: int | None = None
    sla_team: int | None = None
    sla_stop: str | None = None
    sla_from: datetime | None = None
    sla_to: datetime | None = None
    reason: int | None = None
    reason_stage: str | None = None
    reason_from: datetime | None = None
    reason_to: datetime | None = None
    handoff_by: int | None = None
    handoff_to_rep: int | None = None
    handoff_team: int | None = None
    handoff_from: datetime | None = None
    handoff_to: datetime | None = None
    attr: str | None = None
    answer: str | None = None
    cadence: str | None = None
    cadence_user: int | None = None
    # Home page trends: clocks stopped and cadence steps done within a window.
    sla_stopped_from: datetime | None = None
    sla_stopped_to: datetime | None = None
    cadence_from: datetime | None = None
    cadence_to: datetime | None = None

    def narrow(self, qs: QuerySet[Lead]) -> QuerySet[Lead]:
        f = self
        as_of = f.as_of or timezone.now()
        if f.channel:
            qs = qs.filter(campaign__channel=f.channel)
        if f.sales_team:
            qs = qs.filter(sales_rep__team_id=f.sales_team)
        if f.handed_off_by:
            qs = qs.filter(handed_off_by_id=f.handed_off_by)
        if f.reach in metrics.REACH_STATES:
            qs = qs.filter(metrics.REACH_STATES[f.reach]())
        if f.out_of_target:
            qs = qs.filter(metrics.out_of_target())
        if f.answer in metrics.SALES_ANSWERS:
            qs = qs.filter(metrics.SALES_ANSWERS[f.answer]())
        if f.step in metrics.STEP_KEYS:
            qs = qs.filter(metrics.in_step(f.step))
        if f.no_response:
            qs = qs.filter(metrics.no_response())
        if f.past_max_age:
            qs = qs.filter(metrics.past_max_open_age(as_of))
        if f.age_min is not None or f.age_max is not None:
            teams = list(Team.objects.all())
            qs = qs.filter(metrics.age_between(teams, as_of, f.age_min, f.age_max))
        stopped = f.sla_stopped_from or f.sla_stopped_to
        if f.sla or f.sla_result or f.sla_user or f.sla_team or f.sla_stop or stopped:
            qs = qs.filter(
                metrics.with_clock(
                    kind=f.sla,
                    state=f.sla_result if f.sla_result in metrics.CLOCK_STATES else None,
                    as_of=as_of,
                    user=f.sla_user,
                    team=f.sla_team,
                    start=f.sla_from,
                    end=f.sla_to,
                    stopped_by=f.sla_stop,
                    stopped_start=f.sla_stopped_from,
                    stopped_end=f.sla_stopped_to,
                )
            )
        if f.reason or f.reason_stage or f.reason_from or f.reason_to:
            qs = qs.filter(
                metrics.with_reason(
                    reason=f.reason, stage=f.reason_stage, start=f.reason_from, end=f.reason_to
                )
            )
        if f.handoff_by or f.handoff_to_rep or f.handoff_team or f.handoff_from or f.handoff_to:
            qs = qs.filter(
                metrics.with_handoff(
                    from_rep=f.handoff_by,
                    to_rep=f.handoff_to_rep,
                    to_team=f.handoff_team,
                    start=f.handoff_from,
                    end=f.handoff_to,
                )
            )
        if f.cadence or f.cadence_user or f.cadence_from or f.cadence_to:
            qs = qs.filter(
                metrics.with_cadence_step(
                    state=f.cadence,
                    as_of=as_of,
                    user=f.cadence_user,
                    done_start=f.cadence_from,
                    done_end=f.cadence_to,
                )
            )
        if f.attr and "=" in f.attr:
            key, value = f.attr.split("=", 1)
            # An unknown attribute is ignored (the form reports it).
            with contextlib.suppress(ValueError, KeyError):
                qs = qs.filter(metrics.attribute_is(key, value))
        return qs
