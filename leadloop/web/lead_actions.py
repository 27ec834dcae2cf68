"""The lead page's forms: each parses its input and calls one action, nothing more.

Every refusal is shown the same way: a field error on its input (422), a
lead that moved, is claimed or is stale on the page as it is now (409), a
move the reader may not make (403).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from leadloop.accounts.models import User
from leadloop.handoff.selectors import active_definition
from leadloop.leads import states
from leadloop.leads.choices import Action
from leadloop.leads.claims import claimed_error
from leadloop.leads.models import Lead
from leadloop.leads.permissions import can_act
from leadloop.lib import pages
from leadloop.lib.errors import Conflict, NotPermitted, StaleLead
from leadloop.lib.pages import current_user, page
from leadloop.lib.zones import zone_named
from leadloop.lifecycle.activities import log_activity
from leadloop.lifecycle.claims import claim_lead, release_claim
from leadloop.lifecycle.edits import edit_lead
from leadloop.lifecycle.qualification import save_qualification
from leadloop.lifecycle.transitions import lead_transition
from leadloop.lifecycle.undo import undo_activity
from leadloop.outreach.choices import ActivityKind, Outcome
from leadloop.outreach.models import Activity
from leadloop.web import selectors
from leadloop.web.forms import (
    ActionForm,
    ActivityForm,
    LeadEditForm,
    QualificationForm,
    TransitionForm,
)
from leadloop.web.lead_page import lead_for, render_lead

F = TypeVar("F", bound=ActionForm)


def _lead_url(lead: Lead, anchor: str = "") -> str:
    return reverse("web:lead_detail", args=[lead.pk]) + anchor


def _run(
    request: HttpRequest,
    lead: Lead,
    action: Callable[[], object],
    *,
    form: ActionForm,
    rerender: Callable[[int], HttpResponse],
    done: str,
    anchor: str = "",
) -> HttpResponse:
    """Call the action; show its refusal, or say it is done and show the lead again."""
    try:
        action()
    except ValidationError as exc:
        form.add_service_errors(exc.message_dict)
        return rerender(422)
    except Conflict as exc:
        # Someone else moved or holds the lead meanwhile: show it as it is now.
        messages.error(request, str(exc))
        return render_lead(request, lead_for(current_user(request), lead.pk), status=409)
    except NotPermitted as exc:
        messages.error(request, str(exc))
        return render_lead(request, lead, status=403)
    messages.success(request, done)
    return HttpResponseRedirect(_lead_url(lead, anchor))


def _conflict(lead: Lead, action: Action, raw_version: str | None) -> str | None:
    """Why the page the form came from is out of date, before reading any input."""
    try:
        expected = int(raw_version or "")
    except ValueError:
        return None  # the form reports it
    if expected != lead.version:
        return str(
            StaleLead(lead_id=lead.pk, expected=expected, version=lead.version, stage=lead.stage)
        )
    if action not in states.allowed_actions(lead.stage):
        return str(states.TransitionNotAllowed(lead.stage, action))
    return None


@require_POST
@page
def lead_transition_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    user = current_user(request)
    lead = lead_for(user, lead_id)
    raw_action = request.POST.get("action", "")
    if raw_action not in Action.values:
        messages.error(request, f"Unknown action '{raw_action}'.")
        return render_lead(request, lead, status=400)
    action = Action(raw_action)
    if not can_act(user, lead, action):
        messages.error(request, f"You may not '{action.label.lower()}' this lead.")
        return render_lead(request, lead, status=403)
    conflict = _conflict(lead, action, request.POST.get("expected_version"))
    if conflict:
        messages.error(request, conflict)
        return render_lead(request, lead, status=409)
    handing_off = action == Action.HAND_OFF
    form = TransitionForm(
        request.POST,
        lead=lead,
        action=action,
        definition=active_definition() if handing_off else None,
        sales_reps=selectors.sales_reps_for_handoff(lead) if handing_off else None,
        now=pages.clock(),
    )
    if not form.is_valid():
        return render_lead(request, lead, status=422, form=form)
    return _run(
        request,
        lead,
        lambda: lead_transition(
            lead=lead.pk,
            action=action,
            actor=user,
            now=pages.clock(),
            data=form.service_data(),
            expected_version=form.cleaned_data["expected_version"],
        ),
        form=form,
        rerender=lambda status: render_lead(request, lead, status=status, form=form),
        done=_done_text(action, form),
    )


# What the page says once a move is made: what happened, in the past tense.
DONE_TEXT = {
    Action.START_WORK: "Work started.",
    Action.DISQUALIFY: "Disqualified.",
    Action.MARK_UNREACHABLE: "Marked unreachable.",
    Action.HAND_OFF: "Handed off to sales.",
    Action.ACCEPT: "Accepted.",
    Action.REJECT: "Rejected: the lead is back with its inside rep.",
    Action.MEETING_HELD: "Meeting held: recorded.",
    Action.NO_SHOW: "No-show recorded: the follow-up cadence starts.",
    Action.RECYCLE: "Recycled to the inside rep.",
    Action.NURTURE: "Moved to nurture.",
    Action.OPEN_OPPORTUNITY: "Opportunity opened.",
    Action.WIN: "Won.",
    Action.LOSE: "Marked lost.",
    Action.MARK_DUPLICATE: "Marked as a duplicate.",
}


def _done_text(action: Action, form: ActionForm) -> str:
    if action == Action.HAND_OFF:
        rep = getattr(form, "cleaned_data", {}).get("sales_rep")
        if rep is not None:
            return f"Handed off to {rep}."
    return DONE_TEXT.get(action, f"{action.label}: recorded.")


def _form_action(
    request: HttpRequest,
    lead_id: int,
    *,
    build: Callable[[Lead], F],
    act: Callable[[User, Lead, F], object],
    done: str,
    anchor: str = "",
) -> HttpResponse:
    """A form of the lead page: parse it (422 with the form), call its action, show the result."""
    user = current_user(request)
    lead = lead_for(user, lead_id)
    form = build(lead)

    def rerender(status: int) -> HttpResponse:
        return render_lead(request, lead, status=status, form=form)

    if not form.is_valid():
        return rerender(422)
    return _run(
        request,
        lead,
        lambda: act(user, lead, form),
        form=form,
        rerender=rerender,
        done=done,
        anchor=anchor,
    )


@require_POST
@page
def lead_activity_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    data = request.POST
    title = str(ActivityKind(data["kind"]).label) if data.get("kind") in ActivityKind.values else ""
    if data.get("outcome") and data.get("outcome") in Outcome.values:
        title += f" ({Outcome(data['outcome']).label.lower()})"

    def act(user: User, lead: Lead, form: ActivityForm) -> object:
        c = form.cleaned_data
        return log_activity(
            lead=lead.pk,
            actor=user,
            kind=c["kind"],
            outcome=c["outcome"],
            occurred_at=c.get("occurred_at"),
            note=c["note"],
            now=pages.clock(),
        )

    return _form_action(
        request,
        lead_id,
        build=lambda lead: ActivityForm(request.POST),
        act=act,
        done=f"{title} logged.",
    )


@require_POST
@page
def lead_activity_undo_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Take back the attempt just logged (the quick-log's Undo, key `u`)."""
    user = current_user(request)
    lead = lead_for(user, lead_id)
    try:
        activity = int(request.POST.get("activity", ""))
    except ValueError:
        messages.error(request, "Which attempt to undo? The page was out of date; reload it.")
        return render_lead(request, lead, status=400)
    if not Activity.objects.filter(pk=activity, lead_id=lead.pk).exists():
        messages.error(request, "That attempt is not on this lead any more.")
        return render_lead(request, lead, status=409)
    try:
        undo_activity(activity=activity, actor=user, now=pages.clock())
    except NotPermitted as exc:
        messages.error(request, str(exc))
        return render_lead(request, lead, status=403)
    except (Conflict, ValidationError) as exc:
        text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, f"Not undone: {text}.")
        return render_lead(request, lead_for(user, lead.pk), status=409)
    messages.success(request, "Undone: the attempt is gone and the lead is as it was before.")
    return HttpResponseRedirect(_lead_url(lead, "#quick-log"))


@require_POST
@page
def lead_qualification_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    def act(user: User, lead: Lead, form: QualificationForm) -> object:
        return save_qualification(
            lead=lead.pk,
            actor=user,
            answers=form.answers(),
            now=pages.clock(),
            expected_version=form.cleaned_data["expected_version"],
        )

    return _form_action(
        request,
        lead_id,
        build=lambda lead: QualificationForm(
            request.POST, lead=lead, definition=active_definition()
        ),
        act=act,
        done="Qualification saved.",
        anchor="#qualification",
    )


@require_POST
@page
def lead_edit_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    def act(user: User, lead: Lead, form: LeadEditForm) -> object:
        return edit_lead(
            lead=lead.pk,
            actor=user,
            fields=form.changes(),
            now=pages.clock(),
            expected_version=form.cleaned_data["expected_version"],
        )

    return _form_action(
        request,
        lead_id,
        build=lambda lead: LeadEditForm(request.POST, lead=lead),
        act=act,
        done="Details saved.",
    )


@require_POST
@page
def lead_claim_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    """ "Work this lead": claim it for the next minutes, so nobody else works it meanwhile."""
    user = current_user(request)
    lead = lead_for(user, lead_id)
    now = pages.clock()
    try:
        claim = claim_lead(lead=lead, user=user, now=now)
    except NotPermitted as exc:
        messages.error(request, str(exc))
        return render_lead(request, lead, status=403)
    if not claim.won:
        refused = claimed_error(lead, claim.holder_id, claim.until or now, reader=user)
        messages.error(request, str(refused))
        return render_lead(request, lead_for(user, lead_id), status=409)
    local = (claim.until or now).astimezone(zone_named(user.timezone))
    messages.info(request, f"You are working this lead until {local:%H:%M %Z}.")
    return HttpResponseRedirect(_lead_url(lead))


@require_POST
@page
def lead_release_view(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Let go of one's claim: others may work the lead now."""
    user = current_user(request)
    lead = lead_for(user, lead_id)
    try:
        released = release_claim(lead=lead, user=user)
    except NotPermitted as exc:
        messages.error(request, str(exc))
        return render_lead(request, lead, status=403)
    if released:
        messages.info(request, "You let go of this lead; others may work it now.")
    return HttpResponseRedirect(reverse("web:queue"))


@require_GET
@page
def lead_handoff_preview(request: HttpRequest, lead_id: int) -> HttpResponse:
    """The meeting time as both reps will read it, for the handoff form (htmx)."""
    user = current_user(request)
    lead = lead_for(user, lead_id)
    form = TransitionForm(
        request.GET,
        lead=lead,
        action=Action.HAND_OFF,
        definition=None,
        sales_reps=selectors.sales_reps_for_handoff(lead),
    )
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    meeting, rep = cleaned.get("meeting_at"), cleaned.get("sales_rep")
    context = {
        "meeting": meeting,
        "rep": rep,
        "mine": zone_named(user.timezone),
        "theirs": zone_named(rep.timezone) if rep is not None else None,
        "past": meeting is not None and meeting <= pages.clock(),
    }
    return render(request, "web/_meeting_preview.html", context)
