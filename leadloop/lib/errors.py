"""The refusals every door maps the same way: 403 for who, 409 for when.

Domain rules and actions raise these; the API's router and the web pages
translate them once each (403 / 409 and a message), so no page or endpoint
invents its own wording. Plain values only: no model instances, so any
layer may raise them and a message never triggers a query.
"""

from __future__ import annotations

from datetime import datetime, tzinfo


class NotPermitted(Exception):
    """The user may not do this (403). The message says who may."""


class Conflict(Exception):
    """The lead is not in a state that allows this now (409); reload and look again."""

    stage: str | None = None


class StaleLead(Conflict):
    """The caller read an older version of the lead than the one stored."""

    def __init__(self, *, lead_id: int, expected: int, version: int, stage: str) -> None:
        self.lead_id, self.expected, self.version, self.stage = lead_id, expected, version, stage
        super().__init__(
            f"Lead {lead_id} changed since you opened it (version {expected}, now "
            f"{version}, stage '{stage}'). Reload it and try again."
        )


class LeadClaimed(Conflict):
    """Someone else is working the lead right now; says until when in the reader's zone."""

    def __init__(
        self,
        *,
        lead_id: int,
        stage: str,
        holder_id: int | None,
        holder_name: str,
        until: datetime,
        zone: tzinfo,
    ) -> None:
        self.lead_id, self.stage, self.holder_id, self.until = lead_id, stage, holder_id, until
        local = until.astimezone(zone)
        name = getattr(zone, "key", None) or local.tzname() or "UTC"
        super().__init__(
            f"{holder_name or 'Someone else'} is working lead {lead_id} until "
            f"{local:%H:%M} {local.tzname()} ({name}); wait for them to finish or ask them "
            "to release it."
        )
