"""Moving a lead along its lifecycle: the only writer of `Lead.stage`.

One action, one transaction: lock the row, ask `leads.states` whether the
move is allowed and `leads.permissions` whether this person may make it,
check the data (`inputs`), apply the move's effects (`effects.move`), stop
and start its clocks and cadence, append its event, tell whoever it
concerns, and queue the rest for after commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from leadloop.accounts.models import User
from leadloop.campaigns.selectors import policy_for
from leadloop.handoff.models import Handoff
from leadloop.leads import states
from leadloop.leads.choices import Action
from leadloop.leads.claims import check_claim
from leadloop.leads.models import Lead, LeadEvent
from leadloop.leads.permissions import can_act
from leadloop.lib.errors import NotPermitted
from leadloop.lib.times import iso_utc, utc
from leadloop.lifecycle import cadence_runs, clocks, effects, events, inputs, news, outbox
from leadloop.lifecycle.locks import locked_lead


def lead_transition(
    *,
    lead: Lead | int,
    action: str,
    actor: User | None,
    now: datetime,
    data: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
) -> Lead:
    """Move a lead; returns it as saved.

    Raises TransitionNotAllowed, StaleLead or LeadClaimed (409),
    NotPermitted (403) or ValidationError naming the field (422); on any of
    them nothing is written.
    """
    if action not in Action.values:
        raise ValidationError(
            {"action": f"unknown action '{action}'; one of {', '.join(Action.values)}"}
        )
    now = utc(now, "now")
    with transaction.atomic():
        locked = locked_lead(lead, expected_version=expected_version)
        states.next_stage(locked.stage, action)
        if not can_act(actor, locked, action):
            raise NotPermitted(
                f"{actor} may not '{Action(action).label.lower()}' lead {locked.pk} "
                f"while it is {locked.get_stage_display().lower()}."
            )
        check_claim(locked, actor, now)
        clean = inputs.transition_data(
            lead=locked,
            action=action,
            raw=data or {},
            actor=actor,
            now=now,
            policy=policy_for(locked.campaign),
        )
        apply_move(locked, action, clean, actor=actor, now=now)
    return locked


def apply_move(
    lead: Lead, action: str, data: Mapping[str, Any], *, actor: User | None, now: datetime
) -> LeadEvent:
    """Make one move on a locked lead whose data is checked; returns its event.

    Also used for the moves an action makes by itself (an attempt that
    starts work, a policy used up, a cadence run out).
    """
    move = effects.move(lead, action, data, now)
    effects.apply(lead, move.changes)
    due = clocks.apply_plan(lead=lead, plan=move.clocks, to_stage=move.to_stage, now=now, by=action)
    cadence_runs.on_move(lead=lead, move=move, actor=actor, now=now)
    lead.save(update_fields=[*move.changes, *due])
    handoff = None
    if action == Action.HAND_OFF:
        handoff = _record_handoff(lead, data, actor=actor, now=now)
    [event] = events.record(lead, [events.transition(move)], at=now, actor=actor)
    reason = data.get("reason")
    news.of_move(
        lead,
        event=event,
        actor=actor,
        now=now,
        reason=str(reason.label) if reason is not None else "",
        handoff=handoff,
    )
    outbox.publish([event])
    return event


def _record_handoff(
    lead: Lead, data: Mapping[str, Any], *, actor: User | None, now: datetime
) -> dict[str, Any]:
    """The hand-off's record, and the sales round robin moving on past the rep.

    Returns what the sales rep is told (the write-up and the first meeting).
    """
    rep: User = data["sales_rep_user"]
    from_rep: int | None = data["inside_rep"] or (actor.pk if actor is not None else None)
    if from_rep is None:
        raise ValidationError({"action": "a hand-off needs the inside rep who set it up"})
    Handoff.objects.create(
        lead=lead,
        from_rep_id=from_rep,
        to_rep=rep,
        definition=data["definition"],
        answers=data["answers"],
        meeting_at=data["meeting_at"],
        write_up=data["write_up"],
        warm_call_confirmed=True,
        created_at=now,
    )
    User.objects.filter(pk=rep.pk).update(last_assigned_at=now)
    return {
        "from": news.actor_name(actor),
        "meeting_at": iso_utc(data["meeting_at"]),
        "write_up": data["write_up"],
    }
