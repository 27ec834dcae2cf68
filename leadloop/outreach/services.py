"""Logging calls, emails, meetings and notes on a lead."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from leadloop.accounts.models import User
from leadloop.campaigns.selectors import policy_for
from leadloop.followup import services as followup_services
from leadloop.leads import states
from leadloop.leads.choices import Action, Stage
from leadloop.leads.claims import check_claim
from leadloop.leads.models import Lead
from leadloop.leads.permissions import can_act
from leadloop.leads.services import lead_transition
from leadloop.lib.errors import NotPermitted
from leadloop.outreach.choices import CONNECT_OUTCOMES, OUTCOMES_BY_KIND, ActivityKind
from leadloop.outreach.models import Activity
from leadloop.outreach.rules import attempts_exhausted
from leadloop.sla import services as sla_services
from leadloop.sla.choices import ClockKind

UPDATED_BY_ACTIVITY = frozenset({Stage.NURTURE, Stage.OPPORTUNITY})
# Clocks on phones and laptops drift; an activity a few minutes "ahead" is fine.
FUTURE_SLACK = timedelta(minutes=5)


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
    """Record an activity; the first call or email meets the first-contact clock.

    A first attempt on a new lead starts work on it; an attempt that exhausts
    the source's attempt policy with no connect makes the lead unreachable.
    """
    if kind not in OUTCOMES_BY_KIND:
        raise ValidationError(
            {"kind": f"unknown kind '{kind}'; one of {', '.join(OUTCOMES_BY_KIND)}"}
        )
    outcome = outcome or ""
    if outcome not in OUTCOMES_BY_KIND[kind]:
        allowed = ", ".join(sorted(o for o in OUTCOMES_BY_KIND[kind] if o)) or "none"
        raise ValidationError(
            {"outcome": f"'{outcome}' is not an outcome of a {kind}; one of: {allowed}"}
        )
    when = occurred_at or now
    if when.tzinfo is None:
        raise ValidationError({"occurred_at": "needs a time zone offset"})
    if when > now + FUTURE_SLACK:
        raise ValidationError({"occurred_at": "is in the future"})
    lead_id = lead.pk if isinstance(lead, Lead) else lead
    with transaction.atomic():
        locked = (
            Lead.objects.select_for_update(of=("self",), no_key=True)
            .select_related("campaign")
            .get(pk=lead_id)
        )
        if not states.is_open(locked.stage):
            raise ValidationError(
                {
                    "lead": f"lead {locked.pk} is {locked.get_stage_display().lower()}; "
                    "activities are logged on open leads only"
                }
            )
        if not may_log_activity(actor, locked):
            raise NotPermitted(f"{actor} may not log activities on lead {locked.pk}.")
        check_claim(locked, actor, now)
        activity = Activity.objects.create(
            lead=locked,
            actor=actor,
            kind=kind,
            outcome=outcome,
            occurred_at=when,
            note=note,
            created_at=now,
        )
        is_attempt = kind in (ActivityKind.CALL, ActivityKind.EMAIL)
        updates: dict[str, object] = {"last_activity_at": when, "updated_at": now}
        if kind == ActivityKind.CALL:
            updates["dials"] = F("dials") + 1
        if kind == ActivityKind.EMAIL and outcome in ("sent", "bounced"):
            updates["emails"] = F("emails") + 1
        if outcome in CONNECT_OUTCOMES:
            updates["connects"] = F("connects") + 1
        if is_attempt and locked.first_contact_at is None:
            updates["first_contact_at"] = when
        Lead.objects.filter(pk=locked.pk).update(**updates)
        if "first_contact_at" in updates:
            sla_services.stop_clocks(
                lead=locked, kinds=[ClockKind.FIRST_CONTACT], now=when, by=kind
            )
        if locked.stage in UPDATED_BY_ACTIVITY:
            # Any logged touch is news on an open opportunity or nurture lead.
            sla_services.restart_clocks(lead=locked, kinds=[ClockKind.UPDATE], now=now, by=kind)
        followup_services.on_activity(lead=locked, activity=activity, now=now)
        locked.refresh_from_db()
        if is_attempt and locked.stage == Stage.NEW:
            locked = lead_transition(lead=locked, action=Action.START_WORK, actor=actor, now=now)
        if locked.stage in states.INSIDE_OPEN and locked.stage != Stage.NEW:
            policy = policy_for(locked.campaign)
            if attempts_exhausted(
                dials=locked.dials,
                emails=locked.emails,
                connects=locked.connects,
                max_dials=policy.max_dials,
                max_emails=policy.max_emails,
            ):
                lead_transition(
                    lead=locked,
                    action=Action.MARK_UNREACHABLE,
                    actor=None,
                    now=now,
                    data={
                        "note": f"attempt policy exhausted: {locked.dials} dials and "
                        f"{locked.emails} emails without a connect "
                        f"(policy {policy.max_dials} and {policy.max_emails})"
                    },
                )
    return activity


def may_log_activity(actor: User, lead: Lead) -> bool:
    """Who may log on a lead: its inside side while she works it, its sales side after."""
    if not states.is_open(lead.stage):
        return False
    if lead.stage in states.INSIDE_OPEN:
        return can_act(actor, lead, Action.START_WORK)
    return can_act(actor, lead, Action.MEETING_HELD)
