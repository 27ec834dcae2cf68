"""Logging calls, emails, meetings and notes on a lead, and what they set off.

An attempt counts on the lead (for its lifetime and for this round of inside
work), stops the first-contact clock at the time it was recorded, starts
work on a new lead, and can use up the attempt policy, which makes the lead
unreachable by itself. A reply or a held meeting stops a no-show cadence;
a sales rep's touch is news for the inside rep who produced the lead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from leadloop.accounts.models import User
from leadloop.campaigns.selectors import policy_for
from leadloop.leads import states
from leadloop.leads.choices import Action
from leadloop.leads.claims import check_claim
from leadloop.leads.models import Lead
from leadloop.leads.permissions import may_work
from leadloop.lib.errors import NotPermitted
from leadloop.lib.times import iso_utc, utc
from leadloop.lifecycle import cadence_runs, clocks, effects, inputs, news, scoring
from leadloop.lifecycle.locks import locked_lead
from leadloop.lifecycle.transitions import apply_move
from leadloop.outreach.choices import OUTCOMES_BY_KIND
from leadloop.outreach.models import Activity


def log_activity(
    *,
    lead: Lead | int,
    actor: User,
    kind: str,
    outcome: str = "",
    occurred_at: datetime | None = None,
    note: str = "",
    now: datetime,
) -> Activity:
    """Record an activity someone did on an open lead she may work."""
    now = utc(now, "now")
    with transaction.atomic():
        locked = locked_lead(lead)
        if not states.is_open(locked.stage):
            raise ValidationError(
                {
                    "lead": f"lead {locked.pk} is {locked.get_stage_display().lower()}; "
                    "activities are logged on open leads only"
                }
            )
        if not may_work(actor, locked):
            raise NotPermitted(f"{actor} may not log activities on lead {locked.pk}.")
        check_claim(locked, actor, now)
        return record_activity(
            locked, Entry(kind, outcome, occurred_at, note), actor=actor, now=now
        )


def check_occurred(lead: Lead, occurred_at: datetime | None, now: datetime) -> datetime:
    """When it happened: not before the lead existed, not after it was logged."""
    if occurred_at is None:
        return now
    when = inputs.moment("occurred_at", occurred_at)
    if when > now:
        raise ValidationError({"occurred_at": "is in the future; log what already happened"})
    if when < lead.created_at:
        raise ValidationError(
            {
                "occurred_at": f"is before the lead came in ({iso_utc(lead.created_at)}); "
                "an activity cannot be backdated past it"
            }
        )
    return when


@dataclass(frozen=True)
class Entry:
    """What was done: a call, an email, a meeting or a note, its outcome, when, what was said."""

    kind: str
    outcome: str = ""
    occurred_at: datetime | None = None
    note: str = ""


def record_activity(
    lead: Lead, entry: Entry, *, actor: User, now: datetime, announce: bool = True
) -> Activity:
    """Record an activity on a locked lead the caller checked, and what follows from it.

    `announce=False` when the caller tells the producer herself (a cadence step).
    """
    kind, outcome = entry.kind, entry.outcome or ""
    if kind not in OUTCOMES_BY_KIND:
        raise ValidationError(
            {"kind": f"unknown kind '{kind}'; one of {', '.join(OUTCOMES_BY_KIND)}"}
        )
    if outcome not in OUTCOMES_BY_KIND[kind]:
        allowed = ", ".join(sorted(o for o in OUTCOMES_BY_KIND[kind] if o)) or "none"
        raise ValidationError(
            {"outcome": f"'{outcome}' is not an outcome of a {kind}; one of: {allowed}"}
        )
    when = check_occurred(lead, entry.occurred_at, now)
    text = inputs.text("note", entry.note, limit=inputs.MAX_NOTE)
    activity = Activity.objects.create(
        lead=lead,
        actor=actor,
        kind=kind,
        outcome=outcome,
        occurred_at=when,
        note=text,
        created_at=now,
    )
    touch = effects.touch(lead, kind, outcome, when, now)
    effects.apply(lead, touch.changes)
    lead.save(update_fields=list(touch.changes))
    if touch.stop:
        clocks.stop(lead=lead, kinds=touch.stop, now=now, by=kind)
    if touch.restart:
        clocks.restart(lead=lead, kinds=touch.restart, now=now, by=kind)
    stopped = cadence_runs.on_activity(lead=lead, activity=activity, now=now)
    if announce and lead.stage in states.SALES_OPEN:
        label = activity.get_kind_display().lower()
        if outcome:
            label += f" ({activity.get_outcome_display().lower()})"
        article = "an" if label[0] in "aeiou" else "a"
        news.tell_producer(
            lead,
            actor=actor,
            now=now,
            summary=stopped or f"sales logged {article} {label}",
            note=text,
        )
    policy = policy_for(lead.campaign)
    limits = {"max_dials": policy.max_dials, "max_emails": policy.max_emails}
    for follow_on in effects.after_attempt(lead, kind, **limits):
        if follow_on == Action.START_WORK:
            apply_move(lead, follow_on, {}, actor=actor, now=now)
        else:
            note_text = effects.exhausted_note(lead, **limits)
            apply_move(lead, follow_on, {"note": note_text}, actor=None, now=now)
    # What the lead did is its engagement: the active model rescores it.
    scoring.rescore(lead, actor=actor, now=now)
    return activity
