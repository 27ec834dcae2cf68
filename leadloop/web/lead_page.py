"""The lead page: the person, the source, the clocks, the timeline, and what the reader may do.

Opening the page never claims the lead (a manager looking does not lock out
her rep): whoever may work it presses "Work this lead", or takes it from the
queue with "Next lead". What the page offers is what the actions would
accept: the moves of the lead's side, "unreachable" before the attempt
policy is used up only to a manager (with a reason), the edit form to whoever
may correct the lead.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from leadloop.accounts.models import User
from leadloop.campaigns.selectors import policy_for
from leadloop.followup import selectors as followup_selectors
from leadloop.handoff.assignment import Suggestion, suggest_sales_reps
from leadloop.handoff.selectors import active_definition
from leadloop.leads import states
from leadloop.leads.choices import Action
from leadloop.leads.claims import is_claimed_by_other
from leadloop.leads.models import Lead
from leadloop.leads.permissions import can_act, manages_side, may_work
from leadloop.leads.selectors import identity_q, related_inquiries, visible_leads
from leadloop.lib import pages
from leadloop.lib.pages import current_user, page
from leadloop.lifecycle.edits import may_edit
from leadloop.lifecycle.undo import UNDO_WINDOW, undo_offer
from leadloop.outreach.rules import attempts_exhausted
from leadloop.scoring import selectors as scoring_selectors
from leadloop.sla.selectors import lead_clocks
from leadloop.web import selectors
from leadloop.web.forms import (
    NEGATIVE_ACTIONS,
    ActionForm,
    ActivityForm,
    LeadEditForm,
    QualificationForm,
    TransitionForm,
)
from leadloop.web.timeline import timeline

# One click (or key) per attempt: (group, [(key, kind, outcome, label)]).
QUICK_LOG = [
    (
        "Call",
        [
            ("1", "call", "connected", "Connected"),
            ("2", "call", "voicemail", "Voicemail"),
            ("3", "call", "no_answer", "No answer"),
            ("4", "call", "gatekeeper", "Gatekeeper"),
            ("5", "call", "wrong_number", "Wrong number"),
        ],
    ),
    (
        "Email",
        [
            ("e", "email", "sent", "Sent"),
            ("r", "email", "replied", "Replied"),
            ("b", "email", "bounced", "Bounced"),
        ],
    ),
]


def lead_for(user: User, lead_id: int) -> Lead:
    """The lead if the user may see it, else 404 (not 403: don't confirm it exists)."""
    return get_object_or_404(
        visible_leads(user).select_related(
            "campaign",
            "team",
            "owner",
            "sales_rep",
            "sales_rep__team",
            "handed_off_by",
            "reason_code",
            "duplicate_of",
            "previous_lead",
            # The score and its lines (their own table, `leads.LeadScore`), in the same query.
            "scored",
        ),
        pk=lead_id,
    )


def policy_used_up(lead: Lead) -> bool:
    policy = policy_for(lead.campaign)
    return attempts_exhausted(
        dials=lead.round_dials,
        emails=lead.round_emails,
        connects=lead.round_connects,
        max_dials=policy.max_dials,
        max_emails=policy.max_emails,
    )


# Moves that record how a meeting went: nothing to record before it starts.
MEETING_OUTCOMES = frozenset({Action.MEETING_HELD, Action.NO_SHOW})


def _offered(user: User, lead: Lead, action: Action, now: datetime | None = None) -> bool:
    if not can_act(user, lead, action):
        return False
    if (
        action in MEETING_OUTCOMES
        and now is not None
        and lead.meeting_at is not None
        and lead.meeting_at > now
    ):
        return False
    if action == Action.MARK_UNREACHABLE:
        # Before the attempt policy is used up only the side's manager says so.
        return manages_side(user, lead) or policy_used_up(lead)
    return True


def action_forms(
    user: User,
    lead: Lead,
    bound: TransitionForm | None = None,
    suggestions: list[Suggestion] | None = None,
    now: datetime | None = None,
) -> list[TransitionForm]:
    # Forward moves first, then the ones that end or park the lead; each in lifecycle order.
    order = list(Action)
    allowed = sorted(
        (a for a in states.allowed_actions(lead.stage) if _offered(user, lead, a, now)),
        key=lambda a: (a in NEGATIVE_ACTIONS, order.index(a)),
    )
    if not allowed:
        return []
    needs_handoff = Action.HAND_OFF in allowed
    definition = active_definition() if needs_handoff else None
    reps = selectors.sales_reps_for_handoff(lead) if needs_handoff else None
    forms = []
    for action in allowed:
        if bound is not None and bound.lead_action == action:
            forms.append(bound)
            continue
        initial: dict[str, Any] = {}
        if action == Action.HAND_OFF:
            initial["sales_rep"] = suggestions[0].rep.pk if suggestions else None
            initial |= {f"answer_{k}": v for k, v in (lead.qualification or {}).items()}
        form = TransitionForm(
            lead=lead, action=action, definition=definition, sales_reps=reps, initial=initial
        )
        if action == Action.MARK_UNREACHABLE and not manages_side(user, lead):
            del form.fields["reason_code"]  # the policy is used up: no reason to give
        forms.append(form)
    return forms


def possible_duplicates(user: User, lead: Lead) -> list[Lead]:
    """Other leads the user may see with the same email, phone, or person at company."""
    keys = {key: getattr(lead, key) for key in ("email_key", "phone_key", "person_key")}
    return list(
        visible_leads(user)
        .filter(identity_q(keys))
        .exclude(pk=lead.pk)
        .select_related("owner")[:10]
    )


def render_lead(
    request: HttpRequest,
    lead: Lead,
    *,
    status: int = 200,
    form: ActionForm | None = None,
) -> HttpResponse:
    """The page; `form` is the one that was sent and refused, shown with its errors."""
    bound = form if isinstance(form, TransitionForm) else None
    activity_form = form if isinstance(form, ActivityForm) else None
    qualification_form = form if isinstance(form, QualificationForm) else None
    edit_form = form if isinstance(form, LeadEditForm) else None
    user = current_user(request)
    now = pages.clock()
    workable = may_work(user, lead)
    suggestions: list[Suggestion] = []
    if Action.HAND_OFF in states.allowed_actions(lead.stage) and can_act(
        user, lead, Action.HAND_OFF
    ):
        suggestions = suggest_sales_reps(lead, now)
    forms = action_forms(user, lead, bound, suggestions, now)
    held_by_other = is_claimed_by_other(lead, user, now)
    # A claim outlives a hand-off until it runs out; it means nothing once she may
    # not work the lead, so the page does not say she is working it.
    holds_claim = (
        workable
        and lead.claimed_by_id == user.pk
        and lead.claimed_until is not None
        and lead.claimed_until > now
    )
    may_qualify = lead.stage in states.INSIDE_OPEN and can_act(user, lead, Action.HAND_OFF)
    qualification = None
    if may_qualify and not held_by_other:
        qualification = qualification_form or QualificationForm(
            lead=lead, definition=active_definition()
        )
    editable = may_edit(user, lead) and not held_by_other
    context = {
        "lead": lead,
        "clocks": lead_clocks(lead, now),
        "timeline": timeline(lead, user),
        "inquiries": related_inquiries(lead, user),
        "action_forms": [] if held_by_other else forms,
        "activity_form": activity_form or ActivityForm(),
        "quick_log": [] if held_by_other or not workable else QUICK_LOG,
        "may_log": workable and not held_by_other,
        "may_claim": workable and not held_by_other and not holds_claim,
        "held_by_other": held_by_other,
        "holds_claim": holds_claim,
        "qualification_form": qualification,
        "edit_form": (edit_form or LeadEditForm(lead=lead)) if editable else None,
        "suggestions": suggestions,
        "duplicates": possible_duplicates(user, lead),
        "handoff": lead.handoffs.select_related("from_rep", "to_rep", "definition").first(),
        "now": now,
        "is_open": states.is_open(lead.stage),
        "earlier_attempts": (lead.dials + lead.emails) - (lead.round_dials + lead.round_emails),
        "followup": followup_selectors.lead_followup(lead, now, user),
        "undo": undo_offer(lead=lead, user=user, now=now) if workable else None,
        "undo_until": now + UNDO_WINDOW,
        "score": scoring_selectors.explanation(lead),
    }
    return render(request, "web/lead_detail.html", context, status=status)


@require_GET
@page
def lead_detail(request: HttpRequest, lead_id: int) -> HttpResponse:
    return render_lead(request, lead_for(current_user(request), lead_id))
