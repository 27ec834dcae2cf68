"""SLA clocks for the demo's simulated leads, by the same rules the services apply.

Each lifecycle move in the simulation asks `sla.rules.clock_plan` which
clocks to stop and start, as `sla.services.apply_transition` does. A clock is
written when it stops, or when the story reaches `now` with it still open.
The sweep is assumed to have run every minute of the simulated year: a
clock past due was breached and escalated at its due time, one past its
warning point was warned then, each with its event; clocks still running at
`now` are left for the next real tick. The last fortnight's warnings,
breaches and escalations also become notifications, so inboxes have news.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from leadloop.campaigns.models import SourcePolicy
from leadloop.leads.choices import EventKind
from leadloop.notifications.choices import EmailState, NotificationKind
from leadloop.sla import rules
from leadloop.sla.choices import INSIDE_KINDS, ClockKind, ClockResult

CLOCK_FIELDS = (
    "id",
    "lead_id",
    "kind",
    "team_id",
    "user_id",
    "started_at",
    "due_at",
    "warn_at",
    "result",
    "stopped_at",
    "stopped_by",
    "warned_at",
    "breached_at",
    "escalated_at",
)
NOTIFICATION_FIELDS = (
    "id",
    "user_id",
    "kind",
    "lead_id",
    "clock_id",
    "event_id",
    "data",
    "created_at",
    "read_at",
    "email_state",
    "emailed_at",
)
# News older than this is not in anyone's inbox; older than READ_AFTER it was read.
INBOX_DAYS = 14
READ_AFTER = 2 * 86_400
_BY_DAY = {ClockKind.CONCLUDE, ClockKind.ACCEPT, ClockKind.FEEDBACK, ClockKind.MEETING_OUTCOME}

Stamp = Callable[[int], str]
EventWriter = Callable[..., int]


@dataclass(slots=True)
class OpenClock:
    id: int
    kind: str
    team: Any  # demo.simulation.TeamRun
    user_id: int | None
    started: int
    due: int
    warn: int


class ClockBook:
    """Opens and closes the clocks of the lead being played; collects their rows."""

    def __init__(
        self, *, now: int, stamp: Stamp, next_ids: dict[str, int], event: EventWriter
    ) -> None:
        self.now = now
        self.stamp = stamp
        self.next_ids = next_ids
        self.event = event
        self.clocks: list[tuple[Any, ...]] = []
        self.notifications: list[tuple[Any, ...]] = []
        self._due_cache: dict[tuple[int, str, int, int], int] = {}

    def take(self) -> dict[str, list[tuple[Any, ...]]]:
        rows = {"clock": self.clocks, "notification": self.notifications}
        self.clocks, self.notifications = [], []
        return rows

    # ------------------------------------------------------------ due times

    def due(self, kind: str, team: Any, policy: SourcePolicy, start: int) -> int:
        """`rules.due_at`, cached per day for the deadlines that are a day's close."""
        by_day = kind in _BY_DAY or (
            kind == ClockKind.FIRST_CONTACT and policy.first_contact_unit == "business_days"
        )
        key = (id(policy), kind, team.team.pk, team.axis.day_of(start))
        if by_day and key in self._due_cache:
            return self._due_cache[key]
        due = int(
            rules.due_at(kind, policy, team.cal, datetime.fromtimestamp(start, UTC)).timestamp()
        )
        if by_day:
            self._due_cache[key] = due
        return due

    def warn(self, kind: str, team: Any, start: int, due: int) -> int:
        """`rules.warn_at` on the team's business axis (exact for the demo calendars)."""
        if due <= start:
            return due
        if kind == ClockKind.UPDATE:
            return start + int((due - start) * rules.AT_RISK_SHARE)
        axis = team.axis
        a, b = axis.offset(start), axis.offset(due)
        return min(axis.instant(a + int((b - a) * rules.AT_RISK_SHARE)), due)

    # ------------------------------------------------------------ open and close

    def open(
        self,
        lead: Any,
        kinds: Iterable[str],
        at: int,
        *,
        owner: Any,
        sales: Any,
        base: dict[str, int] | None = None,
    ) -> None:
        policy = lead.campaign.policy
        for kind in sorted(kinds):
            inside = kind in INSIDE_KINDS
            person = owner if inside else sales
            team = lead.campaign.team if inside or sales is None else sales.team
            start = (base or {}).get(kind, at)
            due = self.due(kind, team, policy, start)
            clock = OpenClock(
                id=self.next_ids["clock"],
                kind=kind,
                team=team,
                user_id=person.id if person is not None else None,
                started=start,
                due=due,
                warn=self.warn(kind, team, start, due),
            )
            self.next_ids["clock"] += 1
            lead.clocks[kind] = clock
            if kind == ClockKind.FIRST_CONTACT:
                lead.first_contact_due = due
            elif kind == ClockKind.CONCLUDE:
                lead.conclude_due = due

    def stop(
        self, lead: Any, kinds: Iterable[str] | None, at: int, by: str, *, cancel: bool = False
    ) -> None:
        for kind in list(lead.clocks) if kinds is None else list(kinds):
            clock = lead.clocks.pop(kind, None)
            if clock is not None:
                self._write(lead, clock, at, by, cancel)

    def finish(self, lead: Any) -> None:
        """The story reached `now`: write the clocks still open."""
        for kind in list(lead.clocks):
            self._write(lead, lead.clocks.pop(kind), None, "", False)

    def _write(self, lead: Any, c: OpenClock, stopped: int | None, by: str, cancel: bool) -> None:
        end = self.now if stopped is None else stopped
        t = self.stamp
        warned = breached = escalated = None
        if c.warn < c.due and c.warn <= end and c.warn < self.now:
            warned = c.warn
            event = self.event(lead, str(EventKind.SLA_AT_RISK), c.warn, self._data(c))
            self._notify(c.user_id, NotificationKind.SLA_AT_RISK, lead, c, event, c.warn)
        late = c.due < end if stopped is not None else c.due <= self.now
        if late:
            breached = c.due
            # As the sweep writes it: one event, naming the manager it escalated to.
            manager = c.team.team.manager_id
            escalated = c.due if manager is not None else None
            data = self._data(c) if manager is None else self._data(c, to=manager)
            event = self.event(lead, str(EventKind.SLA_BREACHED), c.due, data)
            self._notify(c.user_id, NotificationKind.SLA_BREACHED, lead, c, event, c.due)
            if manager is not None and manager != c.user_id:
                self._notify(manager, NotificationKind.ESCALATION, lead, c, event, c.due)
        if late:
            result = ClockResult.BREACHED
        elif stopped is None:
            result = ClockResult.RUNNING
        else:
            result = ClockResult.CANCELLED if cancel else ClockResult.MET
        self.clocks.append(
            (
                c.id,
                lead.id,
                c.kind,
                c.team.team.pk,
                c.user_id,
                t(c.started),
                t(c.due),
                t(c.warn),
                str(result.value),
                t(stopped) if stopped is not None else None,
                by,
                t(warned) if warned is not None else None,
                t(breached) if breached is not None else None,
                t(escalated) if escalated is not None else None,
            )
        )

    @staticmethod
    def _data(c: OpenClock, **extra: Any) -> str:
        return json.dumps({"clock": c.kind, "clock_id": c.id, **extra})

    def _notify(
        self, user_id: int | None, kind: str, lead: Any, c: OpenClock, event: int, at: int
    ) -> None:
        if user_id is None or at < self.now - INBOX_DAYS * 86_400 or at >= self.now:
            return
        read = self.stamp(at + 3600) if at < self.now - READ_AFTER else None
        self.notifications.append(
            (
                self.next_ids["notification"],
                user_id,
                kind,
                lead.id,
                c.id,
                event,
                "{}",
                self.stamp(at),
                read,
                str(EmailState.OFF.value),
                None,
            )
        )
        self.next_ids["notification"] += 1
