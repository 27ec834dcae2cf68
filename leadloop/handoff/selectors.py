from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Exists, Max, OuterRef, QuerySet, Subquery

from leadloop.accounts.models import User
from leadloop.handoff.models import Handoff, QualificationDefinition
from leadloop.leads.choices import Action, EventKind
from leadloop.leads.models import Lead, LeadEvent
from leadloop.leads.selectors import visible_leads
from leadloop.outreach.choices import ActivityKind, Outcome
from leadloop.outreach.models import Activity


def active_definition() -> QualificationDefinition:
    definition = QualificationDefinition.objects.filter(is_active=True).first()
    if definition is None:
        raise ImproperlyConfigured(
            "No active qualification definition. An admin must activate one "
            "(Admin > Qualification definitions); `leadloop migrate` creates BANT v1."
        )
    return definition


def handed_off_by(user: User) -> QuerySet[Lead]:
    """Leads with a handoff from `user`, newest handoff first, with what others did last."""
    mine = Handoff.objects.filter(lead=OuterRef("pk"), from_rep=user)
    others = LeadEvent.objects.filter(lead=OuterRef("pk"), kind=EventKind.TRANSITION).exclude(
        actor=user
    )
    last_event = others.order_by("-at", "-id")
    sales_touch = Activity.objects.filter(lead=OuterRef("pk")).exclude(actor=user)
    return (
        visible_leads(user)
        .filter(Exists(mine))
        .annotate(
            my_last_handoff=Subquery(mine.values("lead").annotate(m=Max("created_at")).values("m")),
            last_action=Subquery(last_event.values("action")[:1]),
            last_action_at=Subquery(last_event.values("at")[:1]),
            last_activity_kind=Subquery(
                sales_touch.order_by("-occurred_at", "-id").values("kind")[:1]
            ),
            last_activity_outcome=Subquery(
                sales_touch.order_by("-occurred_at", "-id").values("outcome")[:1]
            ),
            sales_touch_at=Subquery(
                sales_touch.order_by("-occurred_at", "-id").values("occurred_at")[:1]
            ),
        )
        .select_related("sales_rep", "reason_code", "campaign", "scored")
        .order_by("-my_last_handoff", "-pk")
    )


@dataclass
class Fate:
    lead: Lead
    last_what: str
    last_at: datetime | None


def fate(lead: Lead) -> Fate:
    """The later of sales' last move and last touch, in words."""
    action_at = getattr(lead, "last_action_at", None)
    activity_at = getattr(lead, "sales_touch_at", None)
    if activity_at is not None and (action_at is None or activity_at > action_at):
        kind = str(getattr(lead, "last_activity_kind", "") or "")
        outcome = str(getattr(lead, "last_activity_outcome", "") or "")
        kind_text = str(ActivityKind(kind).label) if kind in ActivityKind.values else kind
        outcome_text = str(Outcome(outcome).label).lower() if outcome in Outcome.values else ""
        what = f"{kind_text}: {outcome_text}" if outcome_text else kind_text
        return Fate(lead, what, activity_at)
    action = str(getattr(lead, "last_action", "") or "")
    if action:
        label = Action(action).label if action in Action.values else action
        return Fate(lead, str(label), action_at)
    return Fate(lead, "nothing yet", None)
